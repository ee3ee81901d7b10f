"""Issue #14, smaller holes: "The data directory and every database file (including -wal and -shm) are created
owner-only." A fresh `keel migrate` under the common umask 022 leaves var/ 0755 and keel.sqlite3 0644."""

import os
import stat
import subprocess
import sys
from pathlib import Path


def test_fresh_data_dir_and_database_are_owner_only(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEL_", "DJANGO_", "DATABASE"))}
    data = tmp_path / "var"
    env["KEEL_DATA_DIR"] = str(data)
    keel = Path(sys.executable).with_name("keel")
    done = subprocess.run(
        [str(keel), "migrate", "--no-input"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loose = {}
    for path in [data, *data.iterdir()]:
        if path.name == "static":
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            loose[path.name] = oct(mode)
    assert not loose, f"readable by others after a fresh start: {loose}"
