//! Random PIN ownership: the pre-shared key the device and we derive from the
//! PIN it displays (FACTS §2.3).

use uuid::Uuid;

pub use crate::dtls::RANDOM_PIN_IDENTITY as RDP_IDENTITY;

/// PBKDF2-HMAC-SHA256(PIN, salt = device UUID bytes, 1000 iterations, 16 bytes).
pub fn random_pin_psk(pin: &str, device: Uuid) -> [u8; 16] {
    crate::dtls::random_pin_psk(pin.as_bytes(), *device.as_bytes())
}

/// Accepts what people type for a PIN (spaces and dashes between groups),
/// returning the digits, or why it is not a PIN.
pub fn normalize_pin(typed: &str) -> Result<String, String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.is_empty() {
        return Err("no PIN was given".into());
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("a PIN is made of digits only".into());
    }
    if digits.len() < 4 || digits.len() > 32 {
        return Err(format!(
            "a PIN has 4 to 32 digits (devices show 8); got {}",
            digits.len()
        ));
    }
    Ok(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_pins_are_normalized() {
        assert_eq!(normalize_pin(" 1234-5678\n").unwrap(), "12345678");
        assert!(normalize_pin("12a45678").is_err());
        assert!(normalize_pin("").is_err());
    }

    #[test]
    fn the_key_matches_pbkdf2_hmac_sha256_with_1000_rounds() {
        // Python: hashlib.pbkdf2_hmac('sha256', b'12345678', uuid.bytes, 1000, 16)
        let device: Uuid = "95dd205a-157f-4582-7432-1eed3000de30".parse().unwrap();
        let key = random_pin_psk("12345678", device);
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "585261ee3360cefa8e8352d17b50b717");
    }

    #[test]
    fn the_key_depends_on_pin_and_device() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        assert_ne!(random_pin_psk("12345678", a), random_pin_psk("12345678", b));
        assert_ne!(random_pin_psk("12345678", a), random_pin_psk("12345679", a));
    }
}
