"""moto in server mode, with the GuardDuty findings operations gameday calls.

moto 5.2 answers every GuardDuty findings call with 404. This adds, on moto's own
GuardDuty detectors:

- ListFindings (criteria: `type` eq, `service.archived` eq, `updatedAt` gte), GetFindings,
  CreateSampleFindings and ArchiveFindings, as AWS answers them;
- a way for a test to put a finding of a chosen type, resource, user agent and `createdAt`:
  CreateSampleFindings with an extra `gamedayFindings` list in its body (a test signs and
  sends it itself; boto3 would refuse the unknown field).

Run it as moto_server is run: `python gameday_moto.py -H 127.0.0.1 -p PORT`.
"""

import json
import sys
import uuid
from datetime import datetime, timezone

from moto.guardduty import urls
from moto.guardduty.responses import GuardDutyResponse

# Findings by (account, region, detector id).
FINDINGS: dict = {}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _finding(account: str, region: str, detector: str, spec: dict, sample: bool) -> dict:
    created = spec.get("createdAt") or _now()
    finding_type = spec["type"]
    resource = spec.get("resource") or {}
    access_key = {
        k: v
        for k, v in {
            "accessKeyId": resource.get("accessKeyId"),
            "userName": resource.get("userName"),
            "principalId": resource.get("principalId", "AIDAEXAMPLE"),
            "userType": "IAMUser",
        }.items()
        if v
    }
    finding_id = uuid.uuid4().hex
    return {
        "accountId": account,
        "arn": f"arn:aws:guardduty:{region}:{account}:detector/{detector}/finding/{finding_id}",
        "createdAt": created,
        "updatedAt": spec.get("updatedAt") or created,
        "id": finding_id,
        "partition": "aws",
        "region": region,
        "schemaVersion": "2.0",
        "severity": float(spec.get("severity", 5.0)),
        "title": spec.get("title", f"{finding_type} finding"),
        "description": spec.get("description", ""),
        "type": finding_type,
        "resource": {
            "resourceType": "AccessKey" if access_key else "Instance",
            **({"accessKeyDetails": access_key} if access_key else {}),
            **(
                {"instanceDetails": {"instanceId": resource["instanceId"]}}
                if resource.get("instanceId")
                else {}
            ),
        },
        "service": {
            "serviceName": "guardduty",
            "detectorId": detector,
            "archived": False,
            "count": 1,
            "eventFirstSeen": created,
            "eventLastSeen": created,
            "resourceRole": "TARGET",
            "additionalInfo": {"value": json.dumps({"sample": sample}), "type": "default"},
            "action": {
                "actionType": "AWS_API_CALL",
                "awsApiCallAction": {
                    "api": spec.get("api", "ListUsers"),
                    "callerType": "Remote IP",
                    "serviceName": "iam.amazonaws.com",
                    "userAgent": spec.get("userAgent", ""),
                },
            },
        },
    }


def _store(self) -> list:
    detector = self.path.split("/")[2]
    # An unknown detector is AWS's BadRequestException.
    self.guardduty_backend.get_detector(detector)
    return FINDINGS.setdefault((self.current_account, self.region, detector), []), detector


def _matches(finding: dict, criteria: dict) -> bool:
    for field, condition in (criteria or {}).get("criterion", {}).items():
        if field == "type":
            value = finding["type"]
        elif field == "service.archived":
            value = str(finding["service"]["archived"]).lower()
        elif field == "updatedAt":
            value = finding["updatedAt"]
        else:
            continue
        if "eq" in condition and str(value) not in [str(v) for v in condition["eq"]]:
            return False
        if "equals" in condition and str(value) not in [str(v) for v in condition["equals"]]:
            return False
        for key in ("gte", "greaterThanOrEqual"):
            if key in condition:
                bound = condition[key]
                if isinstance(bound, (int, float)):
                    seen = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
                    if seen.timestamp() * 1000 < bound:
                        return False
                elif value < bound:
                    return False
    return True


def list_findings(self) -> str:
    findings, _ = _store(self)
    criteria = self._get_param("findingCriteria") or {}
    ids = [f["id"] for f in findings if _matches(f, criteria)]
    return json.dumps({"findingIds": ids, "nextToken": ""})


def get_findings(self) -> str:
    findings, _ = _store(self)
    wanted = set(self._get_param("findingIds") or [])
    return json.dumps({"findings": [f for f in findings if f["id"] in wanted]})


def create_sample_findings(self) -> str:
    findings, detector = _store(self)
    injected = self._get_param("gamedayFindings")
    if injected:
        for spec in injected:
            findings.append(_finding(self.current_account, self.region, detector, spec, False))
    else:
        for t in self._get_param("findingTypes") or []:
            findings.append(
                _finding(self.current_account, self.region, detector, {"type": t}, True)
            )
    return "{}"


def archive_findings(self) -> str:
    findings, _ = _store(self)
    wanted = set(self._get_param("findingIds") or [])
    for f in findings:
        if f["id"] in wanted:
            f["service"]["archived"] = True
    return "{}"


for name, fn in {
    "list_findings": list_findings,
    "get_findings": get_findings,
    "create_sample_findings": create_sample_findings,
    "archive_findings": archive_findings,
}.items():
    setattr(GuardDutyResponse, name, fn)

urls.url_paths.update(
    {
        "{0}/detector/(?P<detector_id>[^/]+)/findings$": GuardDutyResponse.dispatch,
        "{0}/detector/(?P<detector_id>[^/]+)/findings/get$": GuardDutyResponse.dispatch,
        "{0}/detector/(?P<detector_id>[^/]+)/findings/create$": GuardDutyResponse.dispatch,
        "{0}/detector/(?P<detector_id>[^/]+)/findings/archive$": GuardDutyResponse.dispatch,
    }
)

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
