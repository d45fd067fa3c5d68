//! Keeping a provider chosen by a user on the public internet (the SSRF guard's second half).
//!
//! Checking a URL when it is saved is not enough: its name may resolve to a public address then
//! and to an internal one at the next connection (DNS rebinding), and a public server may
//! redirect to an internal one. So a client built with [`ProviderConfig::public_only`] resolves
//! names through [`PublicOnlyResolver`], which refuses private addresses at every connection,
//! refuses a literal private address up front, and no client follows redirects.
//!
//! [`ProviderConfig::public_only`]: crate::ProviderConfig::public_only

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether an address is on a private, loopback, link-local or otherwise internal network,
/// including an IPv6 form that carries such an IPv4 address (mapped, compatible, NAT64, 6to4)
/// or tunnels to one (Teredo).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                // 0.0.0.0/8 ("this network") and 240.0.0.0/4 (reserved).
                || a == 0
                || a >= 240
                // 100.64.0.0/10, carrier-grade NAT (and Tailscale).
                || (a == 100 && (64..128).contains(&b))
                // 198.18.0.0/15, benchmarking networks.
                || (a == 198 && (18..20).contains(&b))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                IpAddr::V4(std::net::Ipv4Addr::new(
                    (hi >> 8) as u8,
                    hi as u8,
                    (lo >> 8) as u8,
                    lo as u8,
                ))
            };
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            // ::a.b.c.d (IPv4-compatible) and 64:ff9b::a.b.c.d (NAT64, well-known prefix).
            if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified()
                || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
            {
                return is_private(embedded(s[6], s[7]));
            }
            // 2002:a.b.c.d::/48 (6to4).
            if s[0] == 0x2002 {
                return is_private(embedded(s[1], s[2]));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // 64:ff9b:1::/48, NAT64 for local use.
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
                // 2001::/32, Teredo: a tunnel whose far end may be anywhere.
                || (s[0] == 0x2001 && s[1] == 0)
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Resolves names like the system does, but fails when any address is private.
#[derive(Debug, Default, Clone, Copy)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            // The port is replaced by the URL's; 0 only serves the lookup.
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(private) = addrs.iter().find(|a| is_private(a.ip())) {
                return Err(format!(
                    "{host} resolves to the private-network address {}, which only the \
                     administrator may use",
                    private.ip()
                )
                .into());
            }
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.100.1.1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2001:0:4136:e378::1",
            "198.18.0.1",
            "240.0.0.1",
            "0.1.2.3",
            "224.0.0.1",
            "ff02::1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        let err = match PublicOnlyResolver
            .resolve("localhost".parse::<Name>().unwrap())
            .await
        {
            Ok(_) => panic!("localhost resolved"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("private-network address"), "{err}");
    }
}
