//! Rate limiting (feature `ratelimit`): each client address may send
//! `rate` requests per period with bursts of `burst`; more get `429 Too
//! Many Requests` with `Retry-After`.
//!
//! ```
//! use ferrodot::app::layer::Layered;
//! use ferrodot::middleware::ratelimit::RateLimit;
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! fn frozen_clock() -> u64 { 5_000 } // milliseconds
//! async fn status() -> &'static str { "ok" }
//! ferrodot::routes! { Api<()> { GET "/status" => status } }
//!
//! // 2 requests per second, in bursts of 2, for up to 16 clients at once.
//! static LIMIT: RateLimit<16> = RateLimit::per_second(2, frozen_clock);
//! static APP: App<(), Layered<&RateLimit<16>, Api>> = App::new((), Layered::new(&LIMIT, Api));
//!
//! let client = TestClient::new(&APP).client_addr("192.0.2.7:4000".parse().unwrap());
//! assert_eq!(client.get("/status").status, Status::OK);
//! assert_eq!(client.get("/status").status, Status::OK);
//! let refused = client.get("/status");
//! assert_eq!(refused.status, Status::TOO_MANY_REQUESTS);
//! assert_eq!(refused.header("retry-after"), Some("1"));
//! // Another client has its own allowance.
//! let other = TestClient::new(&APP).client_addr("192.0.2.8:4000".parse().unwrap());
//! assert_eq!(other.get("/status").status, Status::OK);
//! ```
//!
//! The algorithm is GCRA (the generic cell rate algorithm, a token bucket
//! kept as one timestamp per client): a client's "theoretical arrival
//! time" moves on by `period / rate` per request, and a request is
//! refused while that time is more than `burst - 1` intervals ahead of
//! now. The table has `N` slots, fixed at compile time; when it is full
//! the client seen least recently gives up its slot, so memory stays
//! `N × 40` bytes whoever connects. A refused request changes nothing.
//!
//! The client is the peer address. `X-Forwarded-For` is ignored — any
//! client can write it — unless [`RateLimit::trust_proxy`] says a reverse
//! proxy in front sets it; then its last entry (the one the proxy added)
//! counts. Put the layer around the whole route table for a per-app
//! limit, around one group for a per-route one; requests that match no
#![cfg_attr(
    feature = "std",
    doc = "route are not counted. [`ConnectionRate`] limits new connections per"
)]
#![cfg_attr(
    not(feature = "std"),
    doc = "route are not counted. `ConnectionRate` (feature `std`) limits new connections per"
)]
//! second on the host runtime (see `rt::tokio::Server::admit`).

use core::cell::RefCell;
use core::net::IpAddr;

use critical_section::Mutex;

use crate::app::layer::Layer;
use crate::http::parse::Rejection;
use crate::http::{Request, Status};
use crate::server::HeadExtras;

/// A client: its address as 16 bytes (IPv4 mapped into IPv6).
type Key = [u8; 16];

#[derive(Debug, Clone, Copy)]
struct Slot {
    used: bool,
    key: Key,
    /// Theoretical arrival time, µs of the clock.
    tat: u64,
    /// Last request, for eviction.
    seen: u64,
}

impl Slot {
    const EMPTY: Slot = Slot {
        used: false,
        key: [0; 16],
        tat: 0,
        seen: 0,
    };
}

/// One GCRA: the emission interval and the burst tolerance, in µs.
#[derive(Debug, Clone, Copy)]
pub struct Gcra {
    interval_us: u64,
    tolerance_us: u64,
}

impl Gcra {
    /// `rate` per `period_ms`, bursts of `burst` (0s count as 1).
    #[allow(clippy::arithmetic_side_effects)] // divisor at least 1; products saturate
    pub const fn new(rate: u32, period_ms: u32, burst: u32) -> Self {
        let rate = if rate == 0 { 1 } else { rate as u64 };
        let burst = if burst == 0 { 1 } else { burst as u64 };
        let interval_us = (period_ms as u64).saturating_mul(1000) / rate;
        Gcra {
            interval_us,
            tolerance_us: interval_us.saturating_mul(burst - 1),
        }
    }

    /// Whether a request at `now_us` may pass given the time `tat_us`;
    /// `Ok(new tat)` or `Err(µs to wait)`.
    pub fn decide(&self, tat_us: u64, now_us: u64) -> Result<u64, u64> {
        let tat = tat_us.max(now_us);
        let ahead = tat.saturating_sub(now_us);
        if ahead > self.tolerance_us {
            Err(ahead.saturating_sub(self.tolerance_us))
        } else {
            Ok(tat.saturating_add(self.interval_us))
        }
    }
}

/// A per-client limit with a table of `N` clients.
pub struct RateLimit<const N: usize> {
    gcra: Gcra,
    /// Milliseconds of a monotonic clock.
    clock: fn() -> u64,
    trust_proxy: bool,
    table: Mutex<RefCell<[Slot; N]>>,
}

impl<const N: usize> RateLimit<N> {
    /// `rate` requests per `period_ms`, in bursts of up to `burst`.
    pub const fn new(rate: u32, period_ms: u32, burst: u32, clock: fn() -> u64) -> Self {
        RateLimit {
            gcra: Gcra::new(rate, period_ms, burst),
            clock,
            trust_proxy: false,
            table: Mutex::new(RefCell::new([Slot::EMPTY; N])),
        }
    }

    /// `rate` requests per second, in bursts of `rate`.
    pub const fn per_second(rate: u32, clock: fn() -> u64) -> Self {
        Self::new(rate, 1000, rate, clock)
    }

    /// A reverse proxy in front sets `X-Forwarded-For`: count its last entry.
    pub const fn trust_proxy(mut self) -> Self {
        self.trust_proxy = true;
        self
    }

    fn now_us(&self) -> u64 {
        (self.clock)().saturating_mul(1000)
    }

    /// The client `req` counts against.
    pub fn client(&self, req: &Request<'_>) -> Option<IpAddr> {
        let forwarded = self
            .trust_proxy
            .then(|| req.headers_all("x-forwarded-for").last())
            .flatten()
            .and_then(|v| core::str::from_utf8(v).ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim_ascii().parse::<IpAddr>().ok());
        forwarded.or_else(|| req.client_addr().map(|a| a.ip()))
    }

    /// Count a request from `client` at `now_us` (µs): `Err(µs to wait)` if over the limit.
    pub fn hit(&self, client: Option<IpAddr>, now_us: u64) -> Result<(), u64> {
        let key = key_of(client);
        critical_section::with(|cs| {
            let mut table = self.table.borrow_ref_mut(cs);
            let slot = find_or_evict(table.as_mut_slice(), &key, now_us);
            let Some(slot) = slot else {
                // N == 0: no table, no limit.
                return Ok(());
            };
            let result = self.gcra.decide(slot.tat, now_us);
            slot.seen = now_us;
            match result {
                Ok(tat) => {
                    slot.tat = tat;
                    Ok(())
                }
                Err(wait) => Err(wait),
            }
        })
    }

    /// How long `client` must wait now (µs), without counting a request.
    pub fn wait(&self, client: Option<IpAddr>, now_us: u64) -> Option<u64> {
        let key = key_of(client);
        critical_section::with(|cs| {
            let table = self.table.borrow_ref(cs);
            let slot = table.iter().find(|s| s.used && s.key == key)?;
            self.gcra.decide(slot.tat, now_us).err()
        })
    }
}

fn key_of(client: Option<IpAddr>) -> Key {
    match client {
        Some(IpAddr::V4(v4)) => v4.to_ipv6_mapped().octets(),
        Some(IpAddr::V6(v6)) => v6.octets(),
        None => [0; 16],
    }
}

/// The client's slot; a new one (the least recently seen taken over) if
/// it has none.
fn find_or_evict<'t>(table: &'t mut [Slot], key: &Key, now_us: u64) -> Option<&'t mut Slot> {
    let index = match table.iter().position(|s| s.used && s.key == *key) {
        Some(i) => i,
        None => {
            // Free slots first, then the oldest `seen` (the first of equals).
            let (i, _) = table
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| if s.used { (1, s.seen) } else { (0, 0) })?;
            if let Some(slot) = table.get_mut(i) {
                *slot = Slot {
                    used: true,
                    key: *key,
                    tat: now_us,
                    seen: now_us,
                };
            }
            i
        }
    };
    table.get_mut(index)
}

/// The `429` an over-limit request gets (`Retry-After` is added to it).
pub const TOO_MANY: Rejection = Rejection::new(Status::TOO_MANY_REQUESTS, "rate limit exceeded, retry later");

impl<S, const N: usize> Layer<S> for RateLimit<N> {
    fn check(&self, req: &Request<'_>, _: &S) -> Result<(), Rejection> {
        self.hit(self.client(req), self.now_us()).map_err(|_| TOO_MANY)
    }

    fn head(&self, req: &Request<'_>, _: &S, status: Status, head: &mut HeadExtras<'_, '_>) {
        if status != Status::TOO_MANY_REQUESTS {
            return;
        }
        if let Some(wait) = self.wait(self.client(req), self.now_us()) {
            // Whole seconds, rounded up: never tell a client to retry early.
            let seconds = wait.div_ceil(1_000_000).max(1);
            head.header_with(
                "Retry-After",
                super::shared_writer(&mut |w| {
                    w.push_u64(seconds);
                    true
                }),
            );
        }
    }
}

/// Milliseconds since the first call, from the host's monotonic clock:
/// a clock for [`RateLimit`].
#[cfg(feature = "std")]
pub fn host_millis() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// New connections per second, for the whole server (host runtime):
/// `server.admit(ConnectionRate::per_second(100))`.
#[cfg(feature = "std")]
pub struct ConnectionRate {
    gcra: Gcra,
    tat_us: u64,
}

#[cfg(feature = "std")]
impl ConnectionRate {
    /// `rate` new connections per second, in bursts of `rate`.
    pub fn per_second(rate: u32) -> Self {
        ConnectionRate {
            gcra: Gcra::new(rate, 1000, rate),
            tat_us: 0,
        }
    }

    /// Whether one more connection may be served now.
    pub fn admit(&mut self) -> bool {
        match self.gcra.decide(self.tat_us, host_millis().saturating_mul(1000)) {
            Ok(tat) => {
                self.tat_us = tat;
                true
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn gcra_allows_bursts_then_the_rate() {
        let g = Gcra::new(10, 1000, 3); // 100 ms apart, bursts of 3
        let mut tat = 0;
        for _ in 0..3 {
            tat = g.decide(tat, 0).unwrap();
        }
        assert_eq!(g.decide(tat, 0), Err(100_000));
        assert_eq!(g.decide(tat, 99_999), Err(1));
        tat = g.decide(tat, 100_000).unwrap();
        assert!(g.decide(tat, 100_000).is_err());
        // After a long pause the whole burst is back.
        let mut tat2 = tat;
        for _ in 0..3 {
            tat2 = g.decide(tat2, 10_000_000).unwrap();
        }
        assert!(g.decide(tat2, 10_000_000).is_err());
    }

    #[test]
    fn zero_settings_do_not_divide_by_zero() {
        let g = Gcra::new(0, 0, 0);
        assert!(g.decide(0, 0).is_ok());
    }

    fn clock() -> u64 {
        0
    }

    #[test]
    fn per_client_and_refusals_change_nothing() {
        let limit: RateLimit<4> = RateLimit::per_second(2, clock);
        assert!(limit.hit(ip(1), 0).is_ok());
        assert!(limit.hit(ip(1), 0).is_ok());
        assert_eq!(limit.hit(ip(1), 0), Err(500_000));
        // Refused requests do not push the time further.
        assert_eq!(limit.hit(ip(1), 0), Err(500_000));
        assert_eq!(limit.wait(ip(1), 0), Some(500_000));
        assert!(limit.hit(ip(2), 0).is_ok());
        assert!(limit.hit(ip(1), 500_000).is_ok());
        assert_eq!(limit.wait(ip(9), 0), None);
    }

    #[test]
    fn full_table_evicts_the_least_recently_seen() {
        let limit: RateLimit<2> = RateLimit::per_second(1, clock);
        assert!(limit.hit(ip(1), 0).is_ok());
        assert!(limit.hit(ip(2), 10).is_ok());
        assert!(limit.hit(ip(1), 20).is_err()); // 1 is seen again at 20
        assert!(limit.hit(ip(3), 30).is_ok()); // evicts 2, seen at 10
        assert!(limit.hit(ip(1), 40).is_err()); // 1 kept its slot
        assert!(limit.hit(ip(2), 50).is_ok()); // 2 starts afresh, evicting 3
        assert_eq!(limit.wait(ip(3), 50), None);
        // A thousand other clients: still two slots, no panic.
        for i in 0..1000u32 {
            let addr = Some(IpAddr::from(i.to_be_bytes()));
            assert!(limit.hit(addr, 100 + u64::from(i)).is_ok());
        }
    }

    #[test]
    fn an_empty_table_limits_nothing() {
        let limit: RateLimit<0> = RateLimit::per_second(1, clock);
        for _ in 0..10 {
            assert!(limit.hit(ip(1), 0).is_ok());
        }
    }
}
