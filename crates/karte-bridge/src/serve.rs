//! Listening on the loopback address and serving until told to stop.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;

use crate::{Bridge, BridgeError, router};

/// Listens on `addr`, which must be 127.0.0.1 (port 0 picks a free one):
/// the bridge unlocks a vault of patient records and must not be reachable
/// from the network.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, BridgeError> {
    if addr.ip() != Ipv4Addr::LOCALHOST {
        return Err(BridgeError::NotLoopback { addr });
    }
    TcpListener::bind(addr)
        .await
        .map_err(|source| BridgeError::Bind { addr, source })
}

/// Serves the bridge on `listener` until `shutdown` completes, then locks
/// the vault so its key leaves memory. Meanwhile the app's own timer locks
/// the vault after the auto-lock time without use, even if the page is gone.
pub async fn serve(
    listener: TcpListener,
    bridge: Bridge,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BridgeError> {
    let served = axum::serve(listener, router(bridge.clone()))
        .with_graceful_shutdown(shutdown)
        .await;
    bridge.lock().await;
    Ok(served?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_loopback_is_accepted() {
        for refused in ["0.0.0.0:0", "192.168.1.5:0", "[::1]:0", "[::]:0"] {
            let addr: SocketAddr = refused.parse().unwrap();
            assert!(matches!(
                bind(addr).await,
                Err(BridgeError::NotLoopback { .. })
            ));
        }
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        assert!(listener.local_addr().unwrap().ip().is_loopback());
    }
}
