//! First boot without a keyboard (feature `portal`): the pieces a device
//! needs so that a phone can set it up over the device's own access point.
//!
//! - [`dns`]: every name resolves to the device (sans-IO, no heap);
//! - [`mdns`]: `NAME.local` and its `_http._tcp` service answered to
//!   unicast queries (RFC 6762 §6.7), so `http://camera.local/` works once
//!   the device is on the user's network;
//! - [`dhcp`]: addresses for the phones on the device's access point, with
//!   the RFC 8910 captive-portal option (114);
//! - [`routes`]: the probe URLs of Android, Apple, Windows and Firefox, the
//!   RFC 8908 API, and the setup form that stores the Wi-Fi credentials —
//!   one route group added to an app.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use ferrodot::portal::{dns, mdns};
//!
//! let dns = dns::Responder::new(Ipv4Addr::new(192, 168, 4, 1));
//! let mdns = mdns::Responder::new("camera", Ipv4Addr::new(192, 168, 4, 1), 80);
//! let mut out = [0u8; 512];
//! assert!(dns.answer(&[0; 3], &mut out).is_none()); // too short: dropped
//! assert!(mdns.answer(&[0; 3], 40000, &mut out).is_none());
//! ```
//!
//! The runtime glue (one UDP socket, one responder) is
//! `rt::tokio::udp::serve` on the host and `rt::embassy::udp::serve` on
//! the device.

pub mod dhcp;
pub mod dns;
pub mod mdns;
pub mod routes;
