"""Set up, run and test cobranza_odoo.  Called through the ``./dev`` script at the repository root.

    ./dev setup   [--odoo-path DIR] [--download-odoo] [--no-system]
    ./dev run     [--db NAME] [--port 8069] [--no-demo] [--lang es_419]
    ./dev test    [--no-odoo] [--no-standard] [--keep-db]
    ./dev pg      start | stop | status
    ./dev i18n    (developers: refresh cobranza_odoo/i18n/cobranza_odoo.pot and merge es.po)
    ./dev screenshots [--db NAME [--no-update]] [--keep-db] [--only NAME,...] [--port N]
                  (developers: the README's and the Apps page's screenshots, from a demo database)

Odoo 18 is taken from, in this order: --odoo-path / $ODOO_PATH, the path remembered by
``./dev setup`` (.local/odoo-path), an ``odoo`` importable by this Python.

PostgreSQL: when $PGHOST is set, that server is used with the usual libpq variables
(PGHOST, PGPORT, PGUSER, PGPASSWORD). Otherwise a private cluster lives in
.local/postgres (started on demand, 127.0.0.1 only). Databases this tool creates carry
a comment; it never changes or drops a database without it.
"""

import argparse
import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCAL = REPO / ".local"
ADDON = "cobranza_odoo"
DB_MARK = "created by cobranza_odoo ./dev"
PRIVATE_PG_DIR = LOCAL / "postgres"
DEFAULT_PRIVATE_PORT = 54329
OFFICIAL_ODOO_SOURCE = "https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz"
# wkhtmltopdf prints the letters; DejaVu is the font their text is written in (real, searchable text);
# poppler-utils checks PDFs (pdftotext); Chromium runs the browser tours.
SYSTEM_PACKAGES = [
    "wkhtmltopdf",
    "fonts-dejavu-core",
    "poppler-utils",
    "chromium",
    "libpq-dev",
    "libldap2-dev",
    "libsasl2-dev",
    "postgresql",
]

# Odoo's own test classes that must keep passing with the addon (and its demo data) installed.
STANDARD_TEST_TAGS = [
    "/sale:TestSaleOrderCreditLimit",
    "/sale:TestSaleToInvoice",
    "/account:TestAccountEarlyPaymentDiscount",
    "/account:TestAccountPaymentRegister",
    "/account:TestAccountPartner",
    "/account:TestMergePartner",
    "/base:TestPartnerForm",
]
# Odoo tests in those classes that Odoo Community itself always skips (they need Enterprise
# modules); they are skipped the same way without this addon, so they are reported, not failed.
UPSTREAM_COMMUNITY_SKIPS = {
    "TestSaleToInvoice.test_partial_invoicing_interaction_with_invoicing_switch_threshold": "needs Enterprise's "
    "account_accountant",
}


def say(message=""):
    print(message, flush=True)


def loud(message):
    bar = "!" * 78
    say(f"\n{bar}\n{message}\n{bar}\n")


class DevError(Exception):
    """A problem the user must fix; the message says how."""


# --------------------------------------------------------------------------- Odoo


def _odoo_root_ok(path):
    return path and (Path(path) / "odoo" / "release.py").is_file()


def odoo_tree_series(root):
    """The series ("18.0") an Odoo source tree declares in odoo/release.py, read without importing Odoo.

    Set-up must know the version *before* Odoo's requirements are installed: importing ``odoo`` on a
    fresh machine fails (no babel, no psycopg2...), so only the file's literal ``version_info`` is read.
    """
    release = Path(root) / "odoo" / "release.py"
    try:
        tree = ast.parse(release.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "version_info" for t in node.targets):
            value = node.value
            if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
                parts = [element.value for element in value.elts[:2] if isinstance(element, ast.Constant)]
                if len(parts) == 2 and all(isinstance(part, int) for part in parts):
                    return f"{parts[0]}.{parts[1]}"
    return None


def _odoo_series(python_path=None):
    """Return (series, root) of the Odoo importable with python_path prepended, or (None, None)."""
    env = dict(os.environ)
    if python_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(python_path), env.get("PYTHONPATH")]))
    code = "import os, odoo.release as r; print(r.series); print(os.path.dirname(os.path.dirname(r.__file__)))"
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        return None, None
    if out.returncode != 0:
        return None, None
    series, root = out.stdout.strip().splitlines()[-2:]
    return series, Path(root)


def _importable_odoo_error(python_path):
    """The last line of the error importing odoo (with python_path first), for a helpful message."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(python_path), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", "import odoo.cli"], env=env, capture_output=True, text=True)
    lines = out.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit {out.returncode}"


def find_odoo(explicit=None):
    """Where Odoo 18 is: a source tree root containing the ``odoo`` package, or None.

    A given or remembered tree is checked by reading its release file only, so it is found before
    its requirements are installed; whether it imports is checked after (``verify_odoo_imports``).
    """
    candidates = [explicit, os.environ.get("ODOO_PATH")]
    remembered = LOCAL / "odoo-path"
    if remembered.is_file():
        candidates.append(remembered.read_text().strip())
    for candidate in candidates:
        if not candidate:
            continue
        if not _odoo_root_ok(candidate):
            raise DevError(
                f"{candidate} is not an Odoo source tree (no odoo/release.py inside). "
                "Give the folder that contains odoo-bin and the odoo/ package."
            )
        series = odoo_tree_series(candidate)
        if series != "18.0":
            raise DevError(f"The Odoo in {candidate} is series {series or 'unknown'}, this addon needs 18.0.")
        return Path(candidate).resolve()
    series, root = _odoo_series()
    if series == "18.0":
        return root
    if series:
        raise DevError(f"The importable odoo is series {series}; this addon needs Odoo 18.0 (see ./dev setup).")
    return None


def verify_odoo_imports(odoo_root):
    """After its requirements are installed, Odoo must import with this Python; say why when not."""
    series, root = _odoo_series(odoo_root)
    if series != "18.0":
        raise DevError(
            f"The Odoo 18 tree at {odoo_root} does not import with {sys.executable} even after installing its "
            f"requirements: {_importable_odoo_error(odoo_root)}\n"
            "Install the missing library (or its Debian headers) and run ./dev setup again."
        )
    return root


def addons_path(odoo_root):
    paths = [odoo_root / "addons", odoo_root / "odoo" / "addons"]
    return ",".join(str(p) for p in paths if p.is_dir()) + "," + str(REPO)


NO_ODOO_HELP = """No Odoo 18 is available to this Python ({python}). Any one of these fixes it:
  1. Point to an Odoo 18.0 source tree you have:   ./dev setup --odoo-path /path/to/odoo
     (the folder holding odoo-bin; its Python requirements are installed by set-up)
  2. Let set-up fetch Odoo's official 18.0 source distribution (needs internet access):
                                                   ./dev setup --download-odoo
     (from {url})
  3. Install Odoo 18 into this Python yourself (e.g. pip install from that archive), then re-run ./dev setup.
"""


def download_official_odoo():
    target = LOCAL / "odoo-18.0"
    if _odoo_root_ok(target):
        return target
    LOCAL.mkdir(exist_ok=True)
    archive = LOCAL / "odoo_18.0.latest.tar.gz"
    say(f"Downloading Odoo 18.0 source distribution from {OFFICIAL_ODOO_SOURCE} ...")
    try:
        with urllib.request.urlopen(OFFICIAL_ODOO_SOURCE, timeout=60) as response, open(archive, "wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as error:
        raise DevError(
            f"Could not download Odoo's source distribution ({error}).\n"
            + NO_ODOO_HELP.format(python=sys.executable, url=OFFICIAL_ODOO_SOURCE)
        ) from error
    unpack = LOCAL / "odoo-unpack"
    shutil.rmtree(unpack, ignore_errors=True)
    unpack.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(unpack)], check=True)
    roots = [p for p in unpack.iterdir() if _odoo_root_ok(p)]
    if not roots:
        raise DevError(f"The downloaded archive {archive} holds no Odoo source tree.")
    series = odoo_tree_series(roots[0])
    if series != "18.0":
        raise DevError(f"The downloaded archive holds Odoo {series or 'of an unknown series'}, not 18.0.")
    shutil.rmtree(target, ignore_errors=True)
    roots[0].rename(target)
    shutil.rmtree(unpack, ignore_errors=True)
    archive.unlink()
    return target


def odoo_requirements(odoo_root):
    """Odoo's requirements.txt with the pins that cannot build on current tooling relaxed."""
    source = odoo_root / "requirements.txt"
    if not source.is_file():
        return None
    lines = []
    for line in source.read_text().splitlines():
        # cbor2 5.4.2 does not build with current setuptools; 5.6.x ships wheels and is compatible.
        if re.match(r"\s*cbor2\s*==", line):
            line = re.sub(r"cbor2\s*==\s*[\d.]+", "cbor2==5.6.5", line)
        lines.append(line)
    handle = tempfile.NamedTemporaryFile("w", suffix="-odoo-requirements.txt", delete=False)
    handle.write("\n".join(lines) + "\n")
    handle.close()
    return handle.name


# --------------------------------------------------------------------------- system packages


def _can_install_system_packages():
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def _missing_debian_packages(packages):
    missing = []
    for package in packages:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
        if "install ok installed" not in out.stdout:
            missing.append(package)
    return missing


def install_system_packages():
    if not shutil.which("dpkg-query"):
        say("Not a Debian/Ubuntu system: install wkhtmltopdf, PostgreSQL and the libpq/ldap/sasl headers yourself.")
        return
    wanted = list(SYSTEM_PACKAGES)
    if find_pg_binary("initdb") or os.environ.get("PGHOST"):
        wanted.remove("postgresql")
    missing = _missing_debian_packages(wanted)
    if not missing:
        say("System packages: all present (" + ", ".join(wanted) + ").")
        return
    prefix = _can_install_system_packages()
    if prefix is None:
        raise DevError(
            "These system packages are missing and this user cannot install them: "
            + " ".join(missing)
            + "\nAsk an administrator to run: apt-get install -y "
            + " ".join(missing)
        )
    say("Installing system packages: " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*prefix, "apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def pip_install(*args):
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args], check=True)


# --------------------------------------------------------------------------- PostgreSQL


def find_pg_binary(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(candidates[0]) if candidates else None


class Postgres:
    """Connection settings of the server the tool uses, and helpers for its own databases."""

    def __init__(self, host, port, user, password=None, private=False):
        self.host, self.port, self.user, self.password, self.private = host, port, user, password, private

    def odoo_args(self):
        args = ["--db_host", self.host, "--db_port", str(self.port), "--db_user", self.user]
        if self.password:
            args += ["--db_password", self.password]
        return args

    def connect(self, dbname="postgres"):
        import psycopg2

        connection = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=dbname
        )
        connection.autocommit = True
        return connection

    def _query(self, sql, params=None):
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    def marked_databases(self):
        """Our databases: {name: comment}."""
        rows = self._query(
            "SELECT d.datname, shobj_description(d.oid, 'pg_database') FROM pg_database d WHERE NOT d.datistemplate"
        )
        return {name: comment for name, comment in rows if comment and comment.startswith(DB_MARK)}

    def exists(self, name):
        return bool(self._query("SELECT 1 FROM pg_database WHERE datname = %s", (name,)))

    def create(self, name, purpose, durable=True):
        """Create one of OUR databases. Throwaway ones (durable=False) commit without waiting for the disk:
        losing their last transactions in a crash costs nothing, and tests run faster. The cluster itself,
        and the databases a user keeps (./dev run), stay durable."""
        from psycopg2 import sql

        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0").format(
                        sql.Identifier(name)
                    )
                )
                cursor.execute(
                    sql.SQL("COMMENT ON DATABASE {} IS %s").format(sql.Identifier(name)), (f"{DB_MARK}: {purpose}",)
                )
                if not durable:
                    cursor.execute(
                        sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
                    )
        finally:
            connection.close()

    def analyze(self, name):
        """Refresh the planner statistics of one of OUR databases."""
        if name not in self.marked_databases():
            raise DevError(f"Refusing to analyze database {name!r}: it was not created by ./dev.")
        connection = self.connect(name)
        try:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        finally:
            connection.close()

    def drop(self, name):
        """Drop one of OUR databases; refuse any other."""
        from psycopg2 import sql

        if name not in self.marked_databases():
            raise DevError(f"Refusing to drop database {name!r}: it was not created by ./dev.")
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        finally:
            connection.close()


def _as_postgres_user_prefix():
    """initdb and postgres refuse to run as root: run them as the 'postgres' system user then."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("runuser"):
        raise DevError("Running as root without runuser: start ./dev as a normal user.")
    return ["runuser", "-u", "postgres", "--"]


def _let_postgres_user_in(folder):
    """As root, hand the cluster folder to 'postgres' and let it traverse the folders above."""
    subprocess.run(["chown", "-R", "postgres", str(folder)], check=True)
    for parent in folder.parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def private_pg_status():
    data = PRIVATE_PG_DIR / "data"
    if not (data / "PG_VERSION").is_file():
        return "absent"
    pg_ctl = find_pg_binary("pg_ctl")
    prefix = _as_postgres_user_prefix()
    out = subprocess.run([*prefix, pg_ctl, "-D", str(data), "status"], capture_output=True, text=True)
    return "running" if out.returncode == 0 else "stopped"


def start_private_pg():
    """Start (creating it the first time) the private cluster in .local/postgres; return its settings."""
    initdb, pg_ctl = find_pg_binary("initdb"), find_pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise DevError(
            "No PostgreSQL server is configured ($PGHOST is not set) and PostgreSQL's initdb/pg_ctl are not "
            "installed to run a private one. Run ./dev setup (installs Debian's postgresql), or set PGHOST, "
            "PGPORT, PGUSER and PGPASSWORD to a server where that user may create databases."
        )
    prefix = _as_postgres_user_prefix()
    data = PRIVATE_PG_DIR / "data"
    PRIVATE_PG_DIR.mkdir(parents=True, exist_ok=True)
    if prefix:
        _let_postgres_user_in(PRIVATE_PG_DIR)
    if not (data / "PG_VERSION").is_file():
        say(f"Creating a private PostgreSQL cluster in {data} ...")
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-U", "odoo", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port_file = PRIVATE_PG_DIR / "port"
    port = int(port_file.read_text()) if port_file.is_file() else DEFAULT_PRIVATE_PORT
    if private_pg_status() != "running":
        while not _port_free(port):
            port += 1
        port_file.write_text(str(port))
        if prefix:
            subprocess.run(["chown", "postgres", str(port_file)], check=True)
        say(f"Starting the private PostgreSQL on 127.0.0.1:{port} ...")
        subprocess.run(
            [
                *prefix,
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(PRIVATE_PG_DIR / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {port} -c listen_addresses=127.0.0.1 -k {PRIVATE_PG_DIR}",
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return Postgres("127.0.0.1", port, "odoo", private=True)


def stop_private_pg():
    if private_pg_status() == "running":
        subprocess.run(
            [
                *_as_postgres_user_prefix(),
                find_pg_binary("pg_ctl"),
                "-D",
                str(PRIVATE_PG_DIR / "data"),
                "-m",
                "fast",
                "stop",
            ],
            check=True,
        )


def get_postgres():
    if os.environ.get("PGHOST"):
        user = os.environ.get("PGUSER") or os.environ.get("USER") or "odoo"
        if user == "postgres":
            raise DevError("Odoo refuses to connect as the 'postgres' role: set PGUSER to another role.")
        return Postgres(os.environ["PGHOST"], int(os.environ.get("PGPORT", 5432)), user, os.environ.get("PGPASSWORD"))
    return start_private_pg()


# --------------------------------------------------------------------------- running Odoo


# No single Odoo step may hang CI: it is stopped after this long (CI allows 90 minutes in all).
ODOO_STEP_TIMEOUT = 30 * 60


def run_odoo(odoo_root, pg, args, log_file=None, timeout=ODOO_STEP_TIMEOUT):
    """Run Odoo with our wrapper; return (returncode, summary dict)."""
    LOCAL.mkdir(exist_ok=True)
    summary_file = tempfile.NamedTemporaryFile(suffix=".json", delete=False, dir=LOCAL)
    summary_file.close()
    command = [
        sys.executable,
        str(REPO / "tools" / "odoo_run.py"),
        "--summary",
        summary_file.name,
        "--odoo-path",
        str(odoo_root),
        "--",
        *args,
        "--addons-path",
        addons_path(odoo_root),
        *pg.odoo_args(),
    ]
    if log_file:
        command += ["--logfile", str(log_file)]
    try:
        returncode = subprocess.run(command, cwd=REPO, check=False, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        say(f"Odoo did not finish within {timeout // 60} minutes: stopped (see {log_file or 'the output above'}).")
        returncode = 124
    try:
        data = json.loads(Path(summary_file.name).read_text() or "{}")
    except json.JSONDecodeError:
        data = {}
    os.unlink(summary_file.name)
    return returncode, data


def odoo_shell_command(odoo_root, pg, dbname):
    """The command of an ``odoo shell`` on ``dbname`` (it runs the script given on its standard input)."""
    return [
        sys.executable,
        "-c",
        "import sys, odoo.cli; sys.argv=['odoo']+sys.argv[1:]; odoo.cli.command.main()",
        "shell",
        "-d",
        dbname,
        "--addons-path",
        addons_path(odoo_root),
        *pg.odoo_args(),
        "--no-http",
    ]


def odoo_shell(odoo_root, pg, dbname, script, log_file=None):
    command = odoo_shell_command(odoo_root, pg, dbname)
    if log_file:
        command += ["--logfile", str(log_file)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(odoo_root), os.environ.get("PYTHONPATH")])))
    return subprocess.run(command, input=script, text=True, cwd=REPO, env=env, check=False).returncode


# --------------------------------------------------------------------------- commands


def cmd_setup(options):
    say("== cobranza_odoo set-up ==")
    if not options.no_system:
        install_system_packages()
    say("Python libraries of the addon and test tools ...")
    pip_install("-r", str(REPO / "requirements-dev.txt"))

    odoo_root = None
    try:
        odoo_root = find_odoo(options.odoo_path)
    except DevError:
        if not options.download_odoo:
            raise
    if odoo_root is None and options.download_odoo:
        odoo_root = download_official_odoo()
    if odoo_root is None:
        say(NO_ODOO_HELP.format(python=sys.executable, url=OFFICIAL_ODOO_SOURCE))
        loud("SET-UP INCOMPLETE: no Odoo 18. The engine tests run anyway (./dev test); the addon cannot.")
        return 3
    requirements = odoo_requirements(odoo_root)
    if requirements:
        say(f"Odoo's Python requirements (from {odoo_root}/requirements.txt) ...")
        pip_install("-r", requirements)
        os.unlink(requirements)
    root = verify_odoo_imports(odoo_root)
    if options.odoo_path or options.download_odoo:
        LOCAL.mkdir(exist_ok=True)
        (LOCAL / "odoo-path").write_text(str(root))
    if not shutil.which("wkhtmltopdf"):
        say("WARNING: wkhtmltopdf is missing: PDF reports cannot be printed nor tested.")
    say(f"Odoo 18 ready at {root}.\nSet-up done. Next: ./dev test   or   ./dev run")
    return 0


def cmd_pg(options):
    if options.action == "start":
        pg = get_postgres()
        say(f"PostgreSQL: {pg.host}:{pg.port} user {pg.user} ({'private' if pg.private else 'configured'})")
    elif options.action == "stop":
        stop_private_pg()
    else:
        say(f"private cluster: {private_pg_status()} ({PRIVATE_PG_DIR})")
    return 0


def cmd_run(options):
    odoo_root = find_odoo()
    if odoo_root is None:
        raise DevError(NO_ODOO_HELP.format(python=sys.executable, url=OFFICIAL_ODOO_SOURCE))
    odoo_root = verify_odoo_imports(odoo_root)
    pg = get_postgres()
    dbname = options.db
    ours = pg.marked_databases()
    args = ["-d", dbname, "--db-filter", f"^{re.escape(dbname)}$", "--http-port", str(options.port)]
    if pg.exists(dbname) and dbname not in ours:
        raise DevError(
            f"A database named {dbname!r} exists and was not created by ./dev: it is left alone. "
            "Choose another name with --db."
        )
    if dbname not in ours:
        pg.create(dbname, "demo database of ./dev run")
        say(f"Installing {ADDON} in the new database {dbname!r} (a few minutes the first time) ...")
        init = ["-d", dbname, "-i", ADDON, "--stop-after-init"]
        if options.no_demo:
            init.append("--without-demo=all")
        if options.lang and options.lang != "en_US":
            init += ["--load-language", options.lang]
        rc, _ = run_odoo(odoo_root, pg, init)
        if rc:
            raise DevError(f"Installing {ADDON} failed (exit {rc}); see the log above.")
        if options.lang and options.lang != "en_US":
            odoo_shell(
                odoo_root,
                pg,
                dbname,
                f"env.ref('base.user_admin').lang = {options.lang!r}\nenv.ref('base.partner_admin').lang = "
                f"{options.lang!r}\nenv.cr.commit()\n",
            )
    else:
        say(f"Updating {ADDON} in {dbname!r} ...")
        rc, _ = run_odoo(odoo_root, pg, ["-d", dbname, "-u", ADDON, "--stop-after-init"])
        if rc:
            raise DevError(f"Updating {ADDON} failed (exit {rc}); see the log above.")
    say(
        f"\nOdoo 18 with {ADDON}: http://localhost:{options.port}/odoo   login: admin   password: admin\n"
        f"Menu: Invoicing > Collections.  Stop with Ctrl+C.\n"
    )
    command = [
        sys.executable,
        str(REPO / "tools" / "odoo_run.py"),
        "--summary",
        os.devnull,
        "--odoo-path",
        str(odoo_root),
        "--",
        *args,
        "--addons-path",
        addons_path(odoo_root),
        *pg.odoo_args(),
    ]
    os.execv(sys.executable, command)


ADDON_LOG_PATTERN = re.compile(ADDON)


def _addon_warnings(summary):
    """WARNING/ERROR log lines that name the addon (test failures are counted apart)."""
    lines = []
    for record in summary.get("log", []):
        if record["logger"] == "odoo.tests.result" or (
            ".tests." in record["logger"] and record["logger"].startswith(f"odoo.addons.{ADDON}")
        ):
            continue  # failing tests are counted from the test result, not from the log
        if ADDON_LOG_PATTERN.search(record["logger"]) or ADDON_LOG_PATTERN.search(record["message"]):
            lines.append(f"{record['level']} {record['logger']}: {record['message'].splitlines()[0][:300]}")
    return lines


class Summary:
    def __init__(self):
        self.rows = []
        self.failed = False

    def add(self, step, ok, detail="", status=None):
        status = status or ("PASS" if ok else "FAIL")
        self.rows.append((step, status, detail))
        self.failed |= status == "FAIL"

    def print(self):
        say("\n" + "=" * 78 + "\nSUMMARY")
        for step, status, detail in self.rows:
            say(f"  [{status}] {step}" + (f" — {detail}" if detail else ""))
        say("=" * 78)
        say("RESULT: " + ("FAILED" if self.failed else "ALL PASSED"))


def _odoo_tests_row(summary, step, dbname, data, rc, allowed_skips=None):
    stats = data.get("databases", {}).get(dbname)
    if not stats:
        summary.add(step, False, f"Odoo did not report test results (exit {rc})")
        return
    allowed_skips = allowed_skips or {}
    upstream = 0
    for skipped in data.get("skipped_tests", []):
        known = next((test for test in allowed_skips if test in skipped["message"]), None)
        upstream += bool(known)
        label = f"skipped upstream in Community too ({allowed_skips[known]})" if known else "SKIPPED"
        say(f"  {label}: {skipped['logger']}: {skipped['message']}")
    skipped_by_us = stats["skipped"] - upstream
    bad = stats["failures"] + stats["errors"] + skipped_by_us
    detail = (
        f"{stats['tests']} tests, {stats['failures']} failed, {stats['errors']} errors, "
        f"{skipped_by_us} skipped (a skipped test counts as a failure)"
    )
    if upstream:
        detail += f", {upstream} skipped by Odoo Community itself"
    if stats["tests"] == 0:
        detail += "; NO TESTS RAN"
    ok = bad == 0 and stats["tests"] > 0 and rc == 0
    summary.add(step, ok, detail)


def cmd_test(options):
    summary = Summary()
    LOCAL.mkdir(exist_ok=True)
    logs = LOCAL / "logs"
    logs.mkdir(exist_ok=True)

    if shutil.which("ruff") or _module_available("ruff"):
        say("== ruff (lint) ==")
        rc = subprocess.run([sys.executable, "-m", "ruff", "check", str(REPO)], cwd=REPO).returncode
        rc_format = subprocess.run([sys.executable, "-m", "ruff", "format", "--check", str(REPO)], cwd=REPO).returncode
        summary.add("ruff check + format --check", rc == 0 and rc_format == 0, f"exit {rc}/{rc_format}")
    else:
        summary.add("ruff check + format --check", False, "ruff is not installed: run ./dev setup")
    _pylint_odoo_row(summary)

    say("== engine and static tests (pytest, no Odoo) ==")
    rc = subprocess.run([sys.executable, "-m", "pytest", "tests"], cwd=REPO).returncode
    if rc == 5:
        summary.add("pytest tests/", False, "pytest collected NO tests (exit 5): the test folder is broken")
    else:
        summary.add("pytest tests/", rc == 0, f"exit {rc}")

    odoo_root = None if options.no_odoo else find_odoo()
    if odoo_root is not None:
        odoo_root = verify_odoo_imports(odoo_root)
    if odoo_root is None:
        reason = "--no-odoo was given" if options.no_odoo else "no Odoo 18 is importable (run ./dev setup)"
        loud(f"ODOO TESTS NOT RUN: {reason}.\nOnly the engine/static tests ran; the addon itself was NOT tested.")
        summary.add("Odoo tests", True, reason, status="NOT RUN")
        summary.print()
        return 1 if summary.failed else 0

    # a private cluster this command starts is stopped again at the end (one already running stays)
    started_here = not os.environ.get("PGHOST") and private_pg_status() != "running"
    pg = get_postgres()
    for stale in [name for name, comment in pg.marked_databases().items() if comment.endswith("test database")]:
        pg.drop(stale)
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    created = []
    try:
        # 1. Without demo data: install, the addon's tests, then upgrade, then uninstall.
        bare = f"cobranza_test_{stamp}_nodemo"
        pg.create(bare, "test database", durable=False)
        created.append(bare)
        _install_and_test(summary, odoo_root, pg, bare, logs, demo=False)

        say(f"== upgrade {ADDON} (-u) ==")
        log = logs / f"{bare}-upgrade.log"
        rc, data = run_odoo(odoo_root, pg, ["-d", bare, "-u", ADDON, "--stop-after-init", "--no-http"], log_file=log)
        _install_rows(summary, "upgrade (-u)", data, rc, log)

        say(f"== uninstall {ADDON} ==")
        log = logs / f"{bare}-uninstall.log"
        rc = odoo_shell(
            odoo_root,
            pg,
            bare,
            f"module = env['ir.module.module'].search([('name', '=', {ADDON!r})])\n"
            "module.button_immediate_uninstall()\n"
            "env.cr.commit()\n"
            "module.invalidate_recordset()\n"
            "assert module.state == 'uninstalled', module.state\n"
            "env.cr.execute(\"SELECT indexname FROM pg_indexes WHERE indexname LIKE 'cobranza%'\")\n"
            "assert not env.cr.fetchall(), 'indexes left behind'\n"
            "env.cr.execute(\"SELECT tgname FROM pg_trigger WHERE tgname LIKE 'cobranza%'\")\n"
            "assert not env.cr.fetchall(), 'triggers left behind'\n"
            "env.cr.execute(\"SELECT proname FROM pg_proc WHERE proname LIKE 'cobranza%'\")\n"
            "assert not env.cr.fetchall(), 'functions left behind'\n"
            "env.cr.execute(\"SELECT to_regclass('cobranza_open_balance_entry')\")\n"
            "assert env.cr.fetchone()[0] is None, 'kept open balances left behind'\n"
            "print('UNINSTALLED-OK')\n",
            log_file=log,
        )
        text = log.read_text(errors="replace") if log.exists() else ""
        bad = [line for line in text.splitlines() if re.search(r" (ERROR|CRITICAL) ", line)]
        summary.add("uninstall", rc == 0 and not bad, f"exit {rc}" + (f"; {bad[0][:200]}" if bad else ""))

        # 2. With demo data: install, the addon's tests, then Odoo's own test classes.
        demo = f"cobranza_test_{stamp}_demo"
        pg.create(demo, "test database", durable=False)
        created.append(demo)
        _install_and_test(summary, odoo_root, pg, demo, logs, demo=True)

        if not options.no_standard:
            say("== Odoo's own test classes with the addon installed ==")
            log = logs / f"{demo}-standard.log"
            rc, data = run_odoo(
                odoo_root,
                pg,
                [
                    "-d",
                    demo,
                    "--test-enable",
                    "--test-tags",
                    ",".join(STANDARD_TEST_TAGS),
                    "--stop-after-init",
                    "--http-port",
                    str(_free_port()),
                ],
                log_file=log,
            )
            _odoo_tests_row(
                summary,
                "Odoo standard tests (" + ", ".join(t.split(":")[1] for t in STANDARD_TEST_TAGS) + ")",
                demo,
                data,
                rc,
                allowed_skips=UPSTREAM_COMMUNITY_SKIPS,
            )
    finally:
        if not options.keep_db:
            for name in created:
                pg.drop(name)
        else:
            say("Kept databases: " + ", ".join(created))
        if started_here and not options.keep_db:
            stop_private_pg()
    say(f"Logs: {logs}")
    summary.print()
    return 1 if summary.failed else 0


PYLINT_STEP = "pylint-odoo (.pylintrc)"


def _pylint_odoo_row(summary):
    """OCA's Odoo checks (pylint with the pylint_odoo plugin) over the addon, when pylint-odoo is installed.

    Every check .pylintrc enables must pass: any message, or pylint failing to run, fails the step.
    """
    if not _module_available("pylint_odoo"):
        summary.add(PYLINT_STEP, True, "pylint-odoo is not installed (./dev setup installs it)", status="NOT RUN")
        return
    say("== pylint-odoo ==")
    command = [sys.executable, "-m", "pylint", "--rcfile", str(REPO / ".pylintrc"), ADDON]
    rc = subprocess.run(command, cwd=REPO).returncode
    summary.add(PYLINT_STEP, rc == 0, f"exit {rc}" + ("" if rc == 0 else ": see the messages above"))


def _install_and_test(summary, odoo_root, pg, dbname, logs, demo):
    """Install the addon, refresh PostgreSQL's statistics, then run the addon's Odoo tests.

    The tests run in a second Odoo process, after ANALYZE: planning queries on tables whose
    statistics still describe them empty makes some of Odoo's own queries very slow.
    """
    label = "with demo" if demo else "without demo"
    say(f"== install {ADDON} {label} data ({dbname}) ==")
    log = logs / f"{dbname}-install.log"
    args = ["-d", dbname, "-i", ADDON, "--stop-after-init", "--no-http"]
    if not demo:
        args.append("--without-demo=all")
    rc, data = run_odoo(odoo_root, pg, args, log_file=log)
    _install_rows(summary, f"install {label}", data, rc, log)
    pg.analyze(dbname)
    say(f"== {ADDON} tests ({label}) ==")
    log = logs / f"{dbname}-tests.log"
    rc, data = run_odoo(
        odoo_root,
        pg,
        [
            "-d",
            dbname,
            "--test-enable",
            "--test-tags",
            f"/{ADDON}",
            "--stop-after-init",
            "--http-port",
            str(_free_port()),
        ],
        log_file=log,
    )
    _odoo_tests_row(summary, f"{ADDON} tests ({label})", dbname, data, rc)


def _install_rows(summary, step, data, rc, log):
    warnings = _addon_warnings(data)
    for line in warnings:
        say(f"  {line}")
    detail = f"exit {rc}" + (f"; {len(warnings)} WARNING/ERROR line(s) naming the addon" if warnings else "")
    if not data:
        detail += f"; no summary (see {log})"
    summary.add(step, rc == 0 and not warnings and bool(data), detail)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _module_available(name):
    return subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True).returncode == 0


def cmd_i18n(options):
    """Export the addon's terms with Odoo and merge them into es.po (untranslated ones stay empty)."""
    import polib

    odoo_root = find_odoo()
    if odoo_root is None:
        raise DevError("./dev i18n needs Odoo: " + NO_ODOO_HELP.format(python=sys.executable, url=OFFICIAL_ODOO_SOURCE))
    pg = get_postgres()
    dbname = f"cobranza_i18n_{datetime.now().strftime('%Y%m%d%H%M%S')}"
    pg.create(dbname, "i18n export database", durable=False)
    pot = REPO / ADDON / "i18n" / f"{ADDON}.pot"
    try:
        rc, _ = run_odoo(
            odoo_root, pg, ["-d", dbname, "-i", ADDON, "--without-demo=all", "--stop-after-init", "--no-http"]
        )
        if rc:
            raise DevError("install failed")
        rc, _ = run_odoo(
            odoo_root,
            pg,
            ["-d", dbname, "--i18n-export", str(pot), "--modules", ADDON, "--stop-after-init", "--no-http"],
        )
        if rc:
            raise DevError("export failed")
    finally:
        pg.drop(dbname)
    po_path = REPO / ADDON / "i18n" / "es.po"
    template = polib.pofile(str(pot))
    po = polib.pofile(str(po_path)) if po_path.exists() else polib.POFile()
    po.merge(template)
    for entry in [entry for entry in po if entry.obsolete]:
        po.remove(entry)  # terms the addon no longer has
    po.metadata.update(
        {
            "Language": "es",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "Project-Id-Version": "Odoo Server 18.0",
        }
    )
    po.save(str(po_path))
    missing = [entry.msgid for entry in po if not entry.msgstr or "fuzzy" in entry.flags]
    say(f"{pot} refreshed; es.po: {len(po)} entries, {len(missing)} untranslated or fuzzy.")
    for msgid in missing:
        say(f"  - {msgid[:100]!r}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="./dev", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup", help="install what the addon, its tests and Odoo 18 need")
    setup.add_argument("--odoo-path", help="an Odoo 18.0 source tree to use (the folder holding odoo-bin)")
    setup.add_argument("--download-odoo", action="store_true", help="fetch Odoo's official 18.0 source archive")
    setup.add_argument("--no-system", action="store_true", help="do not install Debian packages")
    run = commands.add_parser("run", help="start Odoo on http://localhost:8069 with a demo database")
    run.add_argument("--db", default="cobranza_demo")
    run.add_argument("--port", type=int, default=8069)
    run.add_argument("--no-demo", action="store_true")
    run.add_argument("--lang", default="es_419", help="interface language of the admin user (default es_419)")
    test = commands.add_parser("test", help="run every test: engine (pytest) then the addon in a real Odoo 18")
    test.add_argument("--no-odoo", action="store_true", help="only the tests that need no Odoo")
    test.add_argument("--no-standard", action="store_true", help="skip Odoo's own test classes")
    test.add_argument("--keep-db", action="store_true", help="keep the throwaway databases")
    pg = commands.add_parser("pg", help="the private PostgreSQL cluster")
    pg.add_argument("action", choices=["start", "stop", "status"])
    commands.add_parser("i18n", help="refresh the .pot and merge new terms into es.po")
    # tools/screenshots.py imports this module as "dev": let it find this very one, not a second copy.
    sys.modules.setdefault("dev", sys.modules[__name__])
    if str(REPO / "tools") not in sys.path:
        sys.path.insert(0, str(REPO / "tools"))
    import screenshots

    screenshots.add_arguments(
        commands.add_parser(
            "screenshots",
            help="regenerate the screenshots in cobranza_odoo/static/description/screenshots/ from a demo database",
            description=screenshots.__doc__.split("\n\n")[0],
        )
    )
    options = parser.parse_args(argv)
    handler = {
        "setup": cmd_setup,
        "run": cmd_run,
        "test": cmd_test,
        "pg": cmd_pg,
        "i18n": cmd_i18n,
        "screenshots": screenshots.run,
    }
    started = time.time()
    try:
        return handler[options.command](options)
    except DevError as error:
        loud(f"./dev {options.command}: {error}")
        return 2
    finally:
        if options.command in ("test", "setup", "screenshots"):
            say(f"({options.command} took {time.time() - started:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
