//! Where the X-Ray daemon listens.

use std::net::SocketAddr;

/// The variable Lambda sets to the daemon's address when the function's tracing is active,
/// `host:port` (or the daemon's own `udp:host:port tcp:host:port` form).
pub const DAEMON_ADDRESS_ENV: &str = "AWS_XRAY_DAEMON_ADDRESS";

/// The daemon's UDP address from `value`, the variable's contents: `None` when it is empty or
/// names no IP address and port, and then nothing is traced.
pub fn daemon_address(value: &str) -> Option<SocketAddr> {
    let mut parts = value.split_whitespace();
    let udp = match parts.clone().find_map(|part| part.strip_prefix("udp:")) {
        Some(udp) => udp,
        None => parts.next()?,
    };
    udp.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_and_port_is_the_udp_address() {
        assert_eq!(
            daemon_address("169.254.79.129:2000"),
            Some("169.254.79.129:2000".parse().unwrap())
        );
    }

    #[test]
    fn the_daemons_two_address_form_gives_its_udp_address() {
        assert_eq!(
            daemon_address("tcp:127.0.0.1:2001 udp:127.0.0.1:2000"),
            Some("127.0.0.1:2000".parse().unwrap())
        );
    }

    #[test]
    fn an_empty_or_unparsable_value_means_no_daemon() {
        assert_eq!(daemon_address(""), None);
        assert_eq!(daemon_address("   "), None);
        assert_eq!(daemon_address("localhost"), None);
    }
}
