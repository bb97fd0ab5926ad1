//! The demo's portal mode: `--portal --dns-port N --mdns-port M --dhcp-port D
//! --store FILE`.
//!
//! The captive-portal DNS on UDP `HOST:N` answers every `A` query with the
//! `--host` address (127.0.0.1 when `--host` is unspecified, 0.0.0.0);
//! mDNS unicast queries for `camera.local` and `_http._tcp.local` on UDP
//! `HOST:M`; a DHCP server on UDP `HOST:D`, leasing 32 addresses from
//! the `--host` address + 10 (127.0.0.11 to 127.0.0.42 on 127.0.0.1), each
//! with that address as router and DNS and the demo's
//! `http://HOST:PORT/captive-portal` as the RFC 8910 option 114; the
//! portal routes before the camera's own. A client on the host can only
//! reach it as a relay agent would (`giaddr` = its own address: the reply
//! comes back to its port), not by broadcast. The credentials
//! posted to `/setup` are kept in `FILE` (written atomically), so the
//! portal stays ended after a restart with the same file.
//!
//! The portal's routes sit behind the camera's guard (rate limit, CSRF),
//! and `POST /setup/reset` behind its admin check too (`--admin-password`;
//! without one, like the camera's other settings, it is open).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use camera::security::{AdminOnly, Guard};
use ferrodot::app::layer::Layered;
use ferrodot::portal::dhcp;
use ferrodot::portal::dns;
use ferrodot::portal::mdns;
use ferrodot::portal::routes::{Portal, PortalRoutes, ResetRoutes};
use ferrodot::resource::FileBacking;

#[derive(Default)]
pub struct PortalArgs {
    pub enabled: bool,
    pub dns_port: Option<u16>,
    pub mdns_port: Option<u16>,
    pub dhcp_port: Option<u16>,
    pub store: Option<String>,
}

fn port(flag: &str, v: Option<String>) -> Result<u16, String> {
    let v = v.ok_or(format!("{flag} needs a value"))?;
    v.parse().map_err(|_| format!("{flag}: not a port number: {v}"))
}

impl PortalArgs {
    /// Takes `arg` (and its value) if it is a portal flag.
    pub fn take(&mut self, arg: &str, it: &mut impl Iterator<Item = String>) -> Result<bool, String> {
        match arg {
            "--portal" => self.enabled = true,
            "--dns-port" => self.dns_port = Some(port(arg, it.next())?),
            "--mdns-port" => self.mdns_port = Some(port(arg, it.next())?),
            "--dhcp-port" => self.dhcp_port = Some(port(arg, it.next())?),
            "--store" => self.store = Some(it.next().ok_or("--store needs a file")?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub fn check(&self) -> Result<(), String> {
        let any = self.dns_port.is_some() || self.mdns_port.is_some() || self.dhcp_port.is_some();
        if !self.enabled && (any || self.store.is_some()) {
            return Err("--dns-port, --mdns-port, --dhcp-port and --store need --portal".into());
        }
        Ok(())
    }
}

/// The portal's routes in the demo.
pub type Routes = Layered<Guard, (PortalRoutes<'static>, Layered<AdminOnly, ResetRoutes<'static>>)>;

pub fn routes(portal: Option<&'static Portal>) -> Routes {
    let (main, reset) = match portal {
        Some(p) => (PortalRoutes::new(p), ResetRoutes::new(p)),
        None => (PortalRoutes::off(), ResetRoutes::off()),
    };
    Layered::new(Guard, (main, Layered::new(AdminOnly, reset)))
}

/// Addresses the demo's DHCP server leases.
const DHCP_POOL: usize = 32;

/// The address the DNS and mDNS answers give: the HTTP server's.
fn device_addr(http: SocketAddr) -> Ipv4Addr {
    match http.ip() {
        IpAddr::V4(a) if !a.is_unspecified() => a,
        _ => Ipv4Addr::LOCALHOST,
    }
}

/// The portal routes (none without `--portal`), the credentials loaded
/// from `--store`, and the UDP responders started on the local task set.
pub async fn start(args: &PortalArgs, http: SocketAddr) -> std::io::Result<Routes> {
    if !args.enabled {
        return Ok(routes(None));
    }
    let addr = device_addr(http);
    let origin = if http.port() == 80 {
        format!("http://{addr}")
    } else {
        format!("http://{addr}:{}", http.port())
    };
    let mut portal = Portal::new(Box::leak(format!("{origin}/setup").into_boxed_str()))
        .networks(|| &["camera-lab", "Home", "Guest"])
        .page(&camera::assets::ASSETS, "setup.html");
    if let Some(file) = &args.store {
        portal = portal.persist(FileBacking::leak(file));
    }
    let portal: &'static Portal = Box::leak(Box::new(portal));
    match portal.load() {
        Ok(true) => println!(
            "portal: provisioned (network {:?}); the portal is over",
            portal.credentials().map(|c| c.ssid().to_string()).unwrap_or_default()
        ),
        Ok(false) => println!("portal: not provisioned; setup page {}", portal.setup_url()),
        Err(e) => eprintln!("demo: portal store: {e}; starting unprovisioned"),
    }
    let bind_ip = http.ip();
    if let Some(port) = args.dns_port {
        let socket = tokio::net::UdpSocket::bind((bind_ip, port)).await?;
        println!("portal: DNS on udp://{} (every A -> {addr})", socket.local_addr()?);
        tokio::task::spawn_local(async move {
            if let Err(e) = ferrodot::rt::tokio::udp::serve_dns(socket, dns::Responder::new(addr)).await {
                eprintln!("demo: DNS: {e}");
            }
        });
    }
    if let Some(port) = args.mdns_port {
        let socket = tokio::net::UdpSocket::bind((bind_ip, port)).await?;
        println!(
            "portal: mDNS (unicast) on udp://{} for camera.local",
            socket.local_addr()?
        );
        let responder = mdns::Responder::new("camera", addr, http.port());
        tokio::task::spawn_local(async move {
            if let Err(e) = ferrodot::rt::tokio::udp::serve_mdns(socket, responder).await {
                eprintln!("demo: mDNS: {e}");
            }
        });
    }
    if let Some(port) = args.dhcp_port {
        let socket = tokio::net::UdpSocket::bind((bind_ip, port)).await?;
        let first = Ipv4Addr::from(u32::from(addr).wrapping_add(10));
        let last = Ipv4Addr::from(u32::from(first).wrapping_add(DHCP_POOL as u32 - 1));
        let api: &'static str = Box::leak(format!("{origin}/captive-portal").into_boxed_str());
        println!(
            "portal: DHCP on udp://{} (pool {first}-{last}, option 114 {api})",
            socket.local_addr()?
        );
        let server: &'static dhcp::Server<DHCP_POOL> =
            Box::leak(Box::new(dhcp::Server::new(dhcp::Config::new(addr, first, api))));
        tokio::task::spawn_local(async move {
            if let Err(e) = ferrodot::rt::tokio::udp::serve_dhcp(socket, server).await {
                eprintln!("demo: DHCP: {e}");
            }
        });
    }
    Ok(routes(Some(portal)))
}
