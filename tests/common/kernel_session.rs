//! A kernel session keyring of the test's own: the calling thread (and the
//! threads and processes it starts afterwards) leaves the user's keyrings
//! for a new, empty session keyring, so the tests' key-encryption keys
//! never mix with anyone else's and go when the test ends.

/// Joins a new anonymous session keyring (keyctl(2) KEYCTL_JOIN_SESSION_KEYRING).
pub fn join_new_session_keyring() {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    assert!(
        id >= 0,
        "cannot join a new session keyring: {}",
        std::io::Error::last_os_error()
    );
}
