//! Loopback stand-ins for a network that fails: a relay that can be down, and (from the
//! benchmarks' crate, which plays the network for them too) a proxy that answers chosen AWS
//! calls with throttling or server errors, as a real AWS region does.

pub use claimdesk_bench::proxy::{Fault, FaultProxy, DYNAMODB, DYNAMODB_WRITES};

/// A TCP relay on loopback that is either down (nothing listens: connections are refused)
/// or up (each connection is forwarded to `target`).
pub struct Relay {
    addr: std::net::SocketAddr,
    target: String,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    /// Takes a free port and starts down.
    pub fn reserve(target: &str) -> Relay {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = probe.local_addr().unwrap();
        drop(probe);
        Relay {
            addr,
            target: target.to_string(),
            task: None,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn up(&mut self) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(self.addr).unwrap();
        let listener = socket.listen(64).unwrap();
        let target = self.target.clone();
        self.task = Some(tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }

    pub fn down(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
