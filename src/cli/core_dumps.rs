//! Keeps the process's memory out of core dumps: it holds owner keys,
//! PINs, tokens, client secrets and passphrases, and a core file would
//! write them to disk wherever `core_pattern` says (a crash-reporting
//! service, the working directory), readable by more than this user.
//!
//! On Linux: RLIMIT_CORE 0, soft and hard (the kernel writes no core
//! file, and nothing in the process can raise it again), and
//! PR_SET_DUMPABLE 0 (no core for a pipe `core_pattern` either, and other
//! processes of the same user cannot ptrace it or read its memory through
//! /proc). Children get the limit of 0 too; a program started with
//! `execve` is dumpable again, as the kernel resets that flag.

/// Turns core dumps off for this process. Best effort: a failure leaves
/// the process as it was and is not worth refusing to run for.
pub fn disable() {
    #[cfg(target_os = "linux")]
    {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: plain system calls with a valid pointer to a local value.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
    }
}

/// Whether core dumps are off for this process (both settings).
pub fn disabled() -> bool {
    #[cfg(target_os = "linux")]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: plain system calls with a valid pointer to a local value.
        unsafe {
            libc::getrlimit(libc::RLIMIT_CORE, &mut limit) == 0
                && limit.rlim_cur == 0
                && limit.rlim_max == 0
                && libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}
