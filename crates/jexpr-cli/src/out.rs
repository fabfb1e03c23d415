//! Writing to standard output and error without panicking: `println!`
//! panics when standard output is closed or full (`| head -1`, `>
//! /dev/full`). Standard output failing ends the command with exit 2 and a
//! message; standard error failing is ignored (there is nowhere to say so).

use std::io::Write;

/// Writes to standard output, or ends the process (exit 2) if it cannot.
pub fn stdout(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        let _ = writeln!(
            std::io::stderr(),
            "error: cannot write to standard output: {e}"
        );
        std::process::exit(i32::from(crate::EXIT_USAGE));
    }
}

/// Writes to standard error; a failure is ignored.
pub fn stderr(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// Writes beyond `ulimit -f` fail with an error the run reports instead of
/// killing the process with SIGXFSZ, which would give no message.
pub fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN at start, before
    // any thread is spawned, has no preconditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// `println!` through [`stdout`].
macro_rules! outln {
    () => { $crate::out::stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` through [`stdout`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::stdout(format_args!($($arg)*)) };
}

/// `eprintln!` through [`stderr`].
macro_rules! errln {
    () => { $crate::out::stderr(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprint!` through [`stderr`].
macro_rules! err {
    ($($arg:tt)*) => { $crate::out::stderr(format_args!($($arg)*)) };
}
