//! Blocking core calls as runtime-free futures.
//!
//! The core is synchronous: network calls, waits between queries and the PIN
//! key derivation block. [`run_blocking`] runs such a call on a new thread
//! named `scanpay-worker` and returns a future that completes when it is done.
//! The future needs no executor of ours: UniFFI polls it from the foreign
//! side's event loop (Kotlin coroutines, Swift concurrency, Python asyncio),
//! and the worker wakes it from its own thread when the result is in.
//!
//! A panic in the call is caught on the worker (release keeps unwinding) and
//! becomes [`WorkerFailure::Panicked`], so the future always completes.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// Name of the threads that run blocking calls (callbacks caused by such a
/// call arrive on this thread).
pub const WORKER_THREAD_NAME: &str = "scanpay-worker";

/// Why a worker produced no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerFailure {
    /// No thread could be started.
    Spawn(String),
    /// The call panicked (a bug in the core; reported, not crashed).
    Panicked,
}

struct Slot<T> {
    value: Option<Result<T, WorkerFailure>>,
    waker: Option<Waker>,
}

/// The result of a call running on a worker thread.
pub struct WorkerFuture<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for WorkerFuture<T> {
    type Output = Result<T, WorkerFailure>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn complete<T>(slot: &Mutex<Slot<T>>, value: Result<T, WorkerFailure>) {
    let waker = {
        let mut s = slot.lock().unwrap_or_else(PoisonError::into_inner);
        s.value = Some(value);
        s.waker.take()
    };
    // Woken outside the lock: the waker may poll right away on this thread.
    if let Some(w) = waker {
        w.wake();
    }
}

/// Runs `f` on a new `scanpay-worker` thread; the future resolves to its result.
pub fn run_blocking<T, F>(f: F) -> WorkerFuture<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
    }));
    let theirs = Arc::clone(&slot);
    let job: Box<dyn FnOnce() + Send> = Box::new(move || {
        let out = catch_unwind(AssertUnwindSafe(f)).map_err(|_| WorkerFailure::Panicked);
        complete(&theirs, out);
    });
    if let Err(e) = spawn_worker(job) {
        complete(&slot, Err(WorkerFailure::Spawn(e)));
    }
    WorkerFuture { slot }
}

/// Starts one `scanpay-worker` thread running `job`.
///
/// Not generic on purpose: `std::thread::Builder::spawn` is monomorphised for
/// every closure type it is given (thread start-up, the short-backtrace frame,
/// the result packet), ~1 KB of code and unwind tables per call site of
/// [`run_blocking`]. Boxing the job here links that code once for every FFI
/// call that blocks (ADR 0009, BENCHMARKS.md "Library size").
fn spawn_worker(job: Box<dyn FnOnce() + Send>) -> Result<(), String> {
    std::thread::Builder::new()
        .name(WORKER_THREAD_NAME.to_string())
        .spawn(job)
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::task::Wake;

    struct Signal(Mutex<mpsc::Sender<()>>);
    impl Wake for Signal {
        fn wake(self: Arc<Self>) {
            let _ = self.0.lock().map(|s| s.send(()));
        }
    }

    fn block_on<T>(mut fut: WorkerFuture<T>) -> Result<T, WorkerFailure> {
        let (tx, rx) = mpsc::channel();
        let waker = Waker::from(Arc::new(Signal(Mutex::new(tx))));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(v) = Pin::new(&mut fut).poll(&mut cx) {
                return v;
            }
            rx.recv().unwrap();
        }
    }

    #[test]
    fn result_arrives_from_the_worker_thread() {
        let got = block_on(run_blocking(|| {
            std::thread::current().name().map(str::to_string)
        }));
        assert_eq!(got, Ok(Some(WORKER_THREAD_NAME.to_string())));
    }

    #[test]
    fn a_panic_becomes_an_error() {
        #[allow(clippy::panic)]
        let got: Result<(), _> = block_on(run_blocking(|| panic!("bug")));
        assert_eq!(got, Err(WorkerFailure::Panicked));
    }
}
