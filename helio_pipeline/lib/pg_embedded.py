"""A throwaway / embedded PostgreSQL server run from the system's PostgreSQL binaries.

    with EmbeddedPostgres("dagster_home/postgres", fast=True) as pg:
        engine = sqlalchemy.create_engine(pg.url)

* ``initdb`` runs once, when ``data_dir`` holds no cluster yet (trust auth, UTF8).
* The server listens on 127.0.0.1 only, on a port below the ephemeral range
  (15432 and up unless one is given), and its log goes to ``data_dir/../postgres.log``.
* Without a requested port, a restart listens on the port of the previous start (kept in
  ``data_dir/helio.port``) while it is free, so the URL clients hold stays valid.
* A cluster that is already running in ``data_dir`` is reused, not started twice;
  its port is read from ``postmaster.pid``. A reused server is left running by
  :meth:`EmbeddedPostgres.stop` unless ``force=True``.
* PostgreSQL refuses to run as root. When this process is root, ``initdb`` and
  ``pg_ctl`` run as the ``postgres`` system user (``runuser -u postgres --``), the
  data directory is given to that user (mode 0700) and the directories above it
  are made traversable (``o+x``) where that is safe; otherwise a clear error says
  what to do.

Only the standard library and SQLAlchemy (with the psycopg 3 driver) are used.
"""

from __future__ import annotations

import glob
import logging
import os
import pwd
import re
import shlex
import shutil
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from helio_pipeline.lib.errors import HelioError
from helio_pipeline.lib.processes import default_signals

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SEARCH_DIRS",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "PostgresBinariesMissing",
    "ServerStatus",
    "find_pg_bin",
    "find_free_port",
]

INSTALL_HINT = (
    "Install the PostgreSQL server binaries: `apt-get install -y postgresql` (Debian/Ubuntu) "
    "or `brew install postgresql@16` (macOS); or point HELIO_PG_BIN at the directory "
    "that holds initdb and pg_ctl."
)

# System locations searched after $HELIO_PG_BIN and PATH; globs are expanded newest first.
DEFAULT_SEARCH_DIRS: tuple[str, ...] = (
    "/usr/lib/postgresql/*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql*/bin",
    "/usr/local/opt/postgresql*/bin",
)

PORT_RANGE = (15432, 32000)  # below the ephemeral range (32768-60999 here)
PORT_FILE = "helio.port"  # in the data dir: the port of the last start, reused while free
SYSTEM_USER = "postgres"
_LOG_TAIL_LINES = 40
_MAX_SOCKET_DIR_LEN = 80  # sun_path is 107 bytes; "/.s.PGSQL.NNNNN.lock" needs room
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_./+-]+$")
# Directories never chmod'ed automatically (home directories are private on purpose).
_PROTECTED_DIRS = {"/", "/root", "/home", "/Users"}


class EmbeddedPostgresError(HelioError):
    """The embedded PostgreSQL server could not be set up, started or stopped."""


class PostgresBinariesMissing(EmbeddedPostgresError):
    """No directory with ``initdb`` and ``pg_ctl`` was found."""


class _ServerGone(Exception):
    """Internal: a reused server stopped before we could connect to it."""


# --------------------------------------------------------------------------- binaries


def _has_binaries(d: Path) -> bool:
    return all(os.access(d / name, os.X_OK) and (d / name).is_file() for name in ("initdb", "pg_ctl"))


def _version_key(path: str) -> tuple:
    """Sort key: numeric version found in the path (``.../15/bin``, ``postgresql@16``)."""
    nums = re.findall(r"(?<![A-Za-z])(\d+(?:\.\d+)*)", path)
    if not nums:
        return (0,)
    return tuple(int(p) for p in nums[-1].split("."))


def _expand(pattern: str | os.PathLike) -> list[Path]:
    pattern = os.fspath(pattern)
    if glob.has_magic(pattern):
        return [Path(p) for p in sorted(glob.glob(pattern), key=_version_key, reverse=True)]
    return [Path(pattern)]


def find_pg_bin(search_dirs: Iterable[str | os.PathLike] | None = None, configured: str | None = None) -> Path:
    """Return the directory holding ``initdb`` and ``pg_ctl``.

    Looks at ``configured`` (what ``HELIO_PG_BIN`` says; when set, it must be right), then ``PATH``, then
    ``search_dirs`` (default :data:`DEFAULT_SEARCH_DIRS`: the newest
    ``/usr/lib/postgresql/*/bin``, ``/usr/local/pgsql/bin``, Homebrew's
    ``postgresql*/bin``). Raises :class:`PostgresBinariesMissing`.
    """
    env = (configured or "").strip()
    if env:
        d = Path(env).expanduser()
        if d.is_file():  # tolerate HELIO_PG_BIN=/path/to/initdb
            d = d.parent
        if _has_binaries(d):
            return d
        raise PostgresBinariesMissing(
            f"HELIO_PG_BIN={env!r} does not contain executable initdb and pg_ctl. {INSTALL_HINT}"
        )

    initdb = shutil.which("initdb")
    if initdb:
        for d in (Path(initdb).resolve().parent, Path(initdb).parent):
            if _has_binaries(d):
                return d

    dirs = DEFAULT_SEARCH_DIRS if search_dirs is None else tuple(search_dirs)
    tried: list[str] = []
    for pattern in dirs:
        for d in _expand(pattern):
            tried.append(str(d))
            if _has_binaries(d):
                return d
    where = ", ".join(tried) if tried else "(no system directories)"
    raise PostgresBinariesMissing(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found on PATH nor in {where}. {INSTALL_HINT}"
    )


# --------------------------------------------------------------------------- ports


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # like PostgreSQL itself: TIME_WAIT leftovers of an earlier server don't count
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def find_free_port(start: int = PORT_RANGE[0], end: int = PORT_RANGE[1]) -> int:
    """First port in ``[start, end)`` that can be bound on 127.0.0.1."""
    for port in range(start, end):
        if _port_free(port):
            return port
    raise EmbeddedPostgresError(f"no free TCP port on 127.0.0.1 between {start} and {end - 1}")


# --------------------------------------------------------------------------- server


@dataclass(frozen=True)
class ServerStatus:
    """What ``helio db status`` shows of the embedded server."""

    data_dir: Path
    log_file: Path
    running: bool
    pid: int | None = None
    port: int | None = None
    started_at: float | None = None  # epoch seconds

    @property
    def uptime_seconds(self) -> float | None:
        return None if self.started_at is None else max(0.0, time.time() - self.started_at)

    def describe(self) -> str:
        if not self.running:
            return f"embedded PostgreSQL: not running (data dir {self.data_dir})"
        up = self.uptime_seconds
        uptime = "" if up is None else f", up {_duration(up)}"
        return (f"embedded PostgreSQL: running, pid {self.pid}, port {self.port}{uptime}, data dir {self.data_dir}"
                f" (log {self.log_file}); stop it with `helio db stop`")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


class EmbeddedPostgres:
    """A PostgreSQL cluster in ``data_dir``, started and stopped on demand."""

    def __init__(
        self,
        data_dir: str | os.PathLike,
        port: int | None = None,
        user: str = "helio",
        database: str = "helio",
        *,
        fast: bool = False,
        log_file: str | os.PathLike | None = None,
        pg_bin: str | os.PathLike | None = None,
    ) -> None:
        self.data_dir = Path(os.path.abspath(Path(data_dir).expanduser()))
        self.requested_port = port
        self.user = user
        self.database = database
        self.fast = fast
        self.log_file = (
            Path(os.path.abspath(Path(log_file).expanduser()))
            if log_file is not None
            else self.data_dir.parent / "postgres.log"
        )
        self._pg_bin = None
        self._configured_bin = str(pg_bin) if pg_bin is not None else None  # HELIO_PG_BIN, checked on use
        self._port: int | None = None
        self._started = False  # True only when this object started the server
        self._running = False
        self._run_as: pwd.struct_passwd | None = None  # set when running as root

    # ---------------------------------------------------------------- public API

    @property
    def port(self) -> int | None:
        return self._port

    @property
    def url(self) -> str:
        """SQLAlchemy URL ``postgresql+psycopg://helio@127.0.0.1:PORT/helio``."""
        if self._port is None:
            raise EmbeddedPostgresError(f"the PostgreSQL server in {self.data_dir} has not been started")
        return self._url(self.database)

    @property
    def started_here(self) -> bool:
        """True when this object started the server (False when it reused a running one)."""
        return self._started

    def __enter__(self) -> "EmbeddedPostgres":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmbeddedPostgres(data_dir={str(self.data_dir)!r}, port={self._port})"

    def start(self, timeout: float = 30, fast: bool | None = None) -> str:
        """Start (or reuse) the server and return its SQLAlchemy URL."""
        if fast is not None:
            self.fast = fast
        if self._running and self._port is not None and self._running_port() == self._port:
            return self.url
        deadline = time.monotonic() + timeout
        bin_dir = self.bin_dir()
        self._prepare_user()
        self._check_data_dir_access()

        for _attempt in range(3):
            port = self._running_port()
            if port is not None:
                self._reuse(port)
            else:
                if not (self.data_dir / "PG_VERSION").exists():
                    self._initdb(bin_dir, deadline)
                self._start_server(bin_dir, deadline)
            self._running = True
            try:
                self._wait_and_create_database(deadline)
                break
            except _ServerGone:  # the reused server went away meanwhile: start our own
                self._running = False
                logger.info("the PostgreSQL server in %s stopped meanwhile; starting it again", self.data_dir)
        else:
            raise self._error("the PostgreSQL server kept going away while starting")
        return self.url

    def stop(self, force: bool = False, timeout: float = 30) -> None:
        """Stop the server if this object started it (or always, with ``force=True``)."""
        if not (self._started or force):
            if self._running:
                logger.info("leaving the reused PostgreSQL server in %s running", self.data_dir)
            self._running = False
            return
        self._prepare_user()
        if self._running_port() is None:
            self._started = self._running = False
            return
        cmd = [str(self.bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w",
               "-t", str(max(1, int(timeout))), "stop"]
        res = self._run(cmd, timeout=timeout + 15)
        if res.returncode != 0 and self._running_port() is not None:
            # a fast shutdown that did not finish in time: end it the hard way (crash recovery on next start)
            cmd = [*cmd[:4], "immediate", *cmd[5:]]
            res = self._run(cmd, timeout=timeout + 15)
        if res.returncode != 0 and self._running_port() is not None:
            raise self._error("could not stop the PostgreSQL server", cmd, res.stdout)
        logger.info("stopped PostgreSQL in %s", self.data_dir)
        self._started = self._running = False

    def status(self) -> "ServerStatus":
        """Whether a server runs in ``data_dir`` now, and its pid, port and start time (from
        ``postmaster.pid``); starts nothing."""
        self._prepare_user()
        port = self._running_port() if (self.data_dir / "PG_VERSION").exists() else None
        if port is None:
            return ServerStatus(self.data_dir, self.log_file, running=False)
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid, started_at = int(lines[0]), float(lines[2])
        except (OSError, ValueError, IndexError):
            pid, started_at = None, None
        return ServerStatus(self.data_dir, self.log_file, running=True, pid=pid, port=port, started_at=started_at)

    def bin_dir(self) -> Path:
        if self._pg_bin is None:
            self._pg_bin = find_pg_bin(configured=self._configured_bin)
        return self._pg_bin

    # ---------------------------------------------------------------- helpers

    def _url(self, database: str) -> str:
        return URL.create(
            "postgresql+psycopg", username=self.user, host="127.0.0.1", port=self._port, database=database
        ).render_as_string(hide_password=True)

    def _log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        try:
            with open(self.log_file, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - 64 * 1024))
                text = fh.read().decode("utf-8", "replace")
        except OSError as e:
            return f"(no server log at {self.log_file}: {e.strerror})"
        tail = text.splitlines()[-lines:]
        return "\n".join(tail) if tail else f"(server log {self.log_file} is empty)"

    def _error(self, what: str, cmd: Sequence[str] | None = None, output: str | None = None,
               cls: type[EmbeddedPostgresError] = EmbeddedPostgresError) -> EmbeddedPostgresError:
        parts = [f"{what} (data dir {self.data_dir})."]
        if cmd:
            parts.append(f"Command: {shlex.join(self._wrap(list(cmd)))}")
        if output and output.strip():
            parts.append("Output:\n" + output.strip())
        parts.append(f"Last lines of {self.log_file}:\n{self._log_tail()}")
        return cls("\n".join(parts))

    # ---------------------------------------------------------------- running commands

    def _wrap(self, cmd: list[str]) -> list[str]:
        if self._run_as is None:
            return cmd
        runuser = _runuser()
        if runuser:
            return [runuser, "-u", self._run_as.pw_name, "--", *cmd]
        return cmd  # falls back to subprocess(user=...), see _run

    def _run(self, cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        kwargs: dict = {}
        if self._run_as is not None and not _runuser():
            kwargs = dict(user=self._run_as.pw_uid, group=self._run_as.pw_gid,
                          extra_groups=os.getgrouplist(self._run_as.pw_name, self._run_as.pw_gid))
            env["HOME"] = self._run_as.pw_dir
        full = self._wrap(cmd)
        logger.debug("running %s", shlex.join(full))
        try:
            return subprocess.run(
                full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                text=True, errors="replace", env=env, cwd="/", timeout=max(1.0, timeout),
                preexec_fn=default_signals, **kwargs,  # the server must stop on SIGTERM, whatever we ignore
            )
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            raise self._error(f"command timed out after {timeout:.0f}s", cmd, out) from None
        except OSError as e:
            raise self._error(f"could not run {cmd[0]}: {e}", cmd) from None

    # ---------------------------------------------------------------- root handling

    def _prepare_user(self) -> None:
        """When root, pick the user the server runs as: the owner of an existing
        cluster if that is not root, else the ``postgres`` system user."""
        if os.geteuid() != 0 or self._run_as is not None:
            return
        if (self.data_dir / "PG_VERSION").exists():
            owner = self.data_dir.stat().st_uid
            if owner == 0:
                raise self._error(
                    "this cluster is owned by root, and PostgreSQL refuses to run as root; "
                    f"give it to the postgres user: `chown -R {SYSTEM_USER}:{SYSTEM_USER} {self.data_dir}`"
                )
            try:
                self._run_as = pwd.getpwuid(owner)
            except KeyError:
                raise self._error(
                    f"this cluster is owned by uid {owner}, which has no user account; "
                    f"`chown -R {SYSTEM_USER}:{SYSTEM_USER} {self.data_dir}`"
                ) from None
            return
        try:
            self._run_as = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise EmbeddedPostgresError(
                f"running as root, but PostgreSQL refuses to run as root and there is no "
                f"'{SYSTEM_USER}' system user to run it as. `apt-get install -y postgresql` creates "
                f"it (or `useradd --system --no-create-home {SYSTEM_USER}`)."
            ) from None

    def _check_data_dir_access(self) -> None:
        if self._run_as is None:
            if self.data_dir.exists() and not os.access(self.data_dir, os.R_OK | os.W_OK | os.X_OK):
                st = self.data_dir.stat()
                owner = _user_name(st.st_uid)
                raise self._error(
                    f"cannot access the data directory: it belongs to {owner} (mode "
                    f"{stat.filemode(st.st_mode)}); run as {owner} or as root, or use another data dir"
                )
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            return

        u = self._run_as
        # check what exists before creating anything
        self._ensure_traversable(_existing_ancestor(self.data_dir.parent))
        self._ensure_traversable(_existing_ancestor(self.log_file.parent))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        st = self.data_dir.stat()
        if not (self.data_dir / "PG_VERSION").exists():
            if st.st_uid != u.pw_uid or st.st_gid != u.pw_gid:
                os.chown(self.data_dir, u.pw_uid, u.pw_gid)
            os.chmod(self.data_dir, 0o700)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if not self.log_file.exists():
            self.log_file.touch(mode=0o640)
        lst = self.log_file.stat()
        if lst.st_uid != u.pw_uid:
            os.chown(self.log_file, u.pw_uid, u.pw_gid)
        self._ensure_traversable(self.data_dir.parent)
        self._ensure_traversable(self.log_file.parent)

    def _ensure_traversable(self, directory: Path) -> None:
        """Make sure the server's user can reach ``directory`` (x on every ancestor)."""
        u = self._run_as
        assert u is not None
        groups = set(os.getgrouplist(u.pw_name, u.pw_gid))
        protected = _PROTECTED_DIRS | {os.path.expanduser("~")}
        for d in [*reversed(directory.parents), directory]:
            st = d.stat()
            if st.st_uid == u.pw_uid:
                ok = bool(st.st_mode & stat.S_IXUSR)
            elif st.st_gid in groups:
                ok = bool(st.st_mode & stat.S_IXGRP)
            else:
                ok = bool(st.st_mode & stat.S_IXOTH)
            if ok:
                continue
            mode = stat.filemode(st.st_mode)
            if str(d) in protected or st.st_uid != os.geteuid():
                raise self._error(
                    f"PostgreSQL runs as the '{u.pw_name}' user (it refuses to run as root), which "
                    f"cannot traverse {d} (owner {_user_name(st.st_uid)}, mode {mode}). Either allow "
                    f"traversal with `chmod o+x {d}` or put the data directory somewhere it can reach "
                    f"(e.g. under /var/tmp or /srv)"
                )
            os.chmod(d, stat.S_IMODE(st.st_mode) | stat.S_IXOTH)
            logger.warning("chmod o+x %s (was %s) so that the '%s' user can reach %s",
                           d, mode, u.pw_name, self.data_dir)

    # ---------------------------------------------------------------- lifecycle steps

    def _running_port(self) -> int | None:
        """Port of the server running in data_dir, or None (stale pid files are ignored)."""
        pidfile = self.data_dir / "postmaster.pid"
        if not pidfile.exists():
            return None
        cmd = [str(self.bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "status"]
        res = self._run(cmd, timeout=15)
        if res.returncode == 3:
            return None
        if res.returncode != 0:
            raise self._error("could not check whether the server is running", cmd, res.stdout)
        for _ in range(50):  # a postmaster killed with -9 may linger as a zombie until reaped
            try:
                pid = int(pidfile.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                break
            if not _is_zombie(pid):
                break
            time.sleep(0.2)
        else:
            return None
        for _ in range(50):  # the pid file is written in steps while the server starts
            try:
                lines = pidfile.read_text().splitlines()
            except FileNotFoundError:
                return None
            if len(lines) >= 4 and lines[3].strip().isdigit():
                return int(lines[3].strip())
            time.sleep(0.1)
        raise self._error(f"could not read the port from {pidfile}")

    def _reuse(self, port: int) -> None:
        if self.requested_port is not None and self.requested_port != port:
            logger.warning("PostgreSQL already runs in %s on port %d (not the requested %d); reusing it",
                           self.data_dir, port, self.requested_port)
        else:
            logger.info("reusing the PostgreSQL server already running in %s on port %d", self.data_dir, port)
        self._port = port
        self._started = False

    def _initdb(self, bin_dir: Path, deadline: float) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise self._error("the data directory is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                              "empty it or choose another directory")
        logger.info("initialising a PostgreSQL cluster in %s", self.data_dir)
        base = [str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", self.user, "--auth=trust", "-E", "UTF8"]
        outputs = []
        for locale_args in (["--locale=C.UTF-8"], ["--no-locale"]):
            cmd = base + locale_args
            res = self._run(cmd, timeout=max(60.0, deadline - time.monotonic()))
            if res.returncode == 0:
                return
            outputs.append(f"$ {shlex.join(cmd)}\n{res.stdout.strip()}")
            logger.info("initdb with %s failed; %s", locale_args[0],
                        "retrying with --no-locale" if locale_args[0] != "--no-locale" else "giving up")
        raise self._error("initdb failed", cmd, "\n\n".join(outputs))

    def _server_options(self, port: int) -> str:
        opts = ["-p", str(port), "-c", "listen_addresses=127.0.0.1"]
        sock = str(self.data_dir)
        if len(sock) <= _MAX_SOCKET_DIR_LEN and _SAFE_PATH.match(sock):
            opts += ["-k", sock]
        else:  # path too long (or odd) for a unix socket: TCP only
            opts += ["-k", ""]
        if self.fast:
            opts += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        return " ".join(shlex.quote(o) for o in opts)

    def _start_server(self, bin_dir: Path, deadline: float) -> None:
        auto_port = self.requested_port is None
        port = self.requested_port if not auto_port else self._choose_port()
        for attempt in range(5):
            cmd = [str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", self._server_options(port),
                   "-l", str(self.log_file), "-w", "-t", str(max(5, int(deadline - time.monotonic()))), "start"]
            log_size = self.log_file.stat().st_size if self.log_file.exists() else 0
            logger.info("starting PostgreSQL in %s on 127.0.0.1:%d", self.data_dir, port)
            res = self._run(cmd, timeout=max(5.0, deadline - time.monotonic()) + 15)
            if res.returncode == 0:
                self._port = port
                self._started = True
                if auto_port:
                    self._remember_port(port)
                return
            # another process may have started this very cluster meanwhile
            running = self._running_port()
            if running is not None:
                self._reuse(running)
                return
            new_log = _read_from(self.log_file, log_size)
            if auto_port and ("could not bind" in new_log or "could not create any TCP/IP sockets" in new_log) \
                    and attempt < 4 and time.monotonic() < deadline:
                logger.info("port %d was taken meanwhile; trying another", port)
                port = find_free_port(port + 1)
                continue
            raise self._error("could not start the PostgreSQL server", cmd, res.stdout)

    def _choose_port(self) -> int:
        """The port of the previous start when it is free (a restart keeps the URL clients hold),
        else the first free one."""
        try:
            previous = int((self.data_dir / PORT_FILE).read_text().strip())
        except (OSError, ValueError):
            previous = None
        if previous is not None and _port_free(previous):
            return previous
        if previous is not None:
            logger.warning("port %d of the previous start of %s is taken; listening on another", previous,
                           self.data_dir)
        return find_free_port()

    def _remember_port(self, port: int) -> None:
        try:
            (self.data_dir / PORT_FILE).write_text(f"{port}\n")
        except OSError as exc:  # not fatal: the next start picks a free port again
            logger.warning("could not record port %d in %s: %s", port, self.data_dir, exc)

    def _wait_and_create_database(self, deadline: float) -> None:
        """Wait until the server accepts connections, then make sure the database exists."""
        admin = sa.create_engine(self._url("postgres"), poolclass=NullPool,
                                 connect_args={"connect_timeout": 5},
                                 isolation_level="AUTOCOMMIT")
        try:
            while True:
                try:
                    with admin.connect() as conn:
                        if self.database != "postgres":
                            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                                  {"n": self.database}).scalar()
                            if not exists:
                                q = admin.dialect.identifier_preparer.quote(self.database)
                                logger.info("creating database %s", self.database)
                                try:
                                    conn.execute(sa.text(f"CREATE DATABASE {q}"))
                                except sa.exc.DBAPIError as e:  # created concurrently by someone else
                                    if "already exists" not in str(e.orig):
                                        raise
                    break
                except sa.exc.OperationalError as e:
                    if not self._started and self._running_port() is None:
                        raise _ServerGone() from None
                    if time.monotonic() >= deadline:
                        raise self._error(
                            f"the server on 127.0.0.1:{self._port} did not accept connections as "
                            f"{self.user!r}: {str(e.orig).strip()}"
                        ) from None
                    time.sleep(0.2)
        finally:
            admin.dispose()

        engine = sa.create_engine(self.url, poolclass=NullPool, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError as e:
            raise self._error(f"could not connect to database {self.database!r}: {str(e.orig).strip()}") from None
        finally:
            engine.dispose()


# --------------------------------------------------------------------------- small utils


def _runuser() -> str | None:
    return shutil.which("runuser") or next(
        (p for p in ("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser") if os.access(p, os.X_OK)), None
    )


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def _read_from(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
