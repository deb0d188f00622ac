//! The signal that ends a run early (Ctrl-C, SIGTERM, a stop alarm, the facilitator):
//! every wait of the run selects on it, so that clean-up starts at once.

use tokio::sync::watch;

/// A signal that ends a run early; clean-up still runs.
#[derive(Clone)]
pub struct Abort(watch::Receiver<Option<String>>);

/// The sending side of [`Abort`].
pub struct AbortHandle(watch::Sender<Option<String>>);

impl AbortHandle {
    /// Asks the run to stop, with the reason journaled.
    pub fn abort(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.0.send_if_modified(|r| {
            if r.is_none() {
                *r = Some(reason);
                true
            } else {
                false
            }
        });
    }
}

/// A new abort signal.
pub fn abort_signal() -> (AbortHandle, Abort) {
    let (tx, rx) = watch::channel(None);
    (AbortHandle(tx), Abort(rx))
}

impl Abort {
    /// The reason, once the run was asked to stop.
    pub fn reason(&self) -> Option<String> {
        self.0.borrow().clone()
    }

    /// Waits until the abort fires.
    pub async fn wait(&mut self) {
        // A closed channel means nobody can abort any more: wait forever.
        if self.0.wait_for(Option::is_some).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
