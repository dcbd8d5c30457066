"""Our top-level `kernels` package must not make transformers think Hugging Face's `kernels` is installed."""

import subprocess
import sys


def test_transformers_does_not_take_our_kernels_for_hugging_face_kernels():
    code = (
        "import kernels, engine\n"
        "from transformers.utils import import_utils\n"
        "from engine._environment import check_kernels_not_shadowing\n"
        "assert hasattr(kernels, 'majority_vote') and not hasattr(kernels, 'get_kernel')\n"
        "assert import_utils.is_kernels_available() is False\n"
        "check_kernels_not_shadowing()\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
