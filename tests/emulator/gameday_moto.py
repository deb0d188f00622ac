"""moto in server mode, with the GuardDuty findings operations gameday calls.

moto 5.2 answers every GuardDuty findings call with 404. This adds, on moto's own
GuardDuty detectors:

- ListFindings (criteria: `type` eq, `service.archived` eq, `updatedAt` gte), GetFindings,
  CreateSampleFindings and ArchiveFindings, as AWS answers them;
- CreateThreatIntelSet, GetThreatIntelSet, ListThreatIntelSets and DeleteThreatIntelSet
  (kept as given: the list's object is not read);
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
from moto.guardduty.exceptions import FilterNotFoundException
from moto.guardduty.responses import GuardDutyResponse

# Findings by (account, region, detector id).
FINDINGS: dict = {}
# Threat lists by (account, region, detector id), then by id.
THREAT_SETS: dict = {}


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
            "resourceType": "S3Bucket" if resource.get("bucket") else "AccessKey" if access_key else "Instance",
            **({"accessKeyDetails": access_key} if access_key else {}),
            **(
                {"s3BucketDetails": [{"name": resource["bucket"], "type": "Destination"}]}
                if resource.get("bucket")
                else {}
            ),
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
                    **(
                        {"affectedResources": {"AWS::CloudTrail::Trail": resource["trailName"]}}
                        if resource.get("trailName")
                        else {}
                    ),
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


def _sets(self) -> dict:
    detector = self.path.split("/")[2]
    self.guardduty_backend.get_detector(detector)
    return THREAT_SETS.setdefault((self.current_account, self.region, detector), {})


def create_threat_intel_set(self) -> str:
    sets = _sets(self)
    set_id = uuid.uuid4().hex
    sets[set_id] = {
        "name": self._get_param("name"),
        "format": self._get_param("format"),
        "location": self._get_param("location"),
        "status": "ACTIVE" if self._get_param("activate") else "INACTIVE",
        "tags": self._get_param("tags") or {},
    }
    return json.dumps({"threatIntelSetId": set_id})


def _set_id(self) -> str:
    return self.path.rstrip("/").split("/")[-1]


def get_threat_intel_set(self) -> str:
    found = _sets(self).get(_set_id(self))
    if found is None:
        # AWS answers an unknown list with a BadRequestException, as for filters.
        raise FilterNotFoundException()
    return json.dumps(found)


def delete_threat_intel_set(self) -> str:
    if _sets(self).pop(_set_id(self), None) is None:
        raise FilterNotFoundException()
    return "{}"


def list_threat_intel_sets(self) -> str:
    return json.dumps({"threatIntelSetIds": list(_sets(self)), "nextToken": ""})


for name, fn in {
    "create_threat_intel_set": create_threat_intel_set,
    "get_threat_intel_set": get_threat_intel_set,
    "delete_threat_intel_set": delete_threat_intel_set,
    "list_threat_intel_sets": list_threat_intel_sets,
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
        "{0}/detector/(?P<detector_id>[^/]+)/threatintelset$": GuardDutyResponse.dispatch,
        "{0}/detector/(?P<detector_id>[^/]+)/threatintelset/(?P<set_id>[^/]+)$": GuardDutyResponse.dispatch,
    }
)

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
