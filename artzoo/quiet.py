"""TensorFlow's start-up lines (oneDNN, cudart, cuInit, CPU-feature and absl notices) hidden unless asked for.

They come from C++ code writing straight to file descriptor 2 while `tensorflow` imports, before any log level
applies, so `quiet_startup()` does two things: TF_CPP_MIN_LOG_LEVEL=3 for the C++ logging after start-up
(the cuInit error on a machine without a GPU), and the `tensorflow` import run with descriptor 2 captured;
afterwards, every captured line that is not known start-up noise is written to stderr as it was.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager

from artzoo.import_hooks import around_import

NOISE = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations|cudart_stub|cuda_(platform|executor)"
    r"|cuInit|cpu_feature_guard|To enable the following instructions|rebuild TensorFlow with the appropriate"
    r"|Unable to register cu(DNN|FFT|BLAS) factory|computation placer already registered|TF-TRT Warning"
)


@contextmanager
def filtered_stderr(noise: re.Pattern = NOISE):
    """Captures descriptor 2 (C++ and Python writes alike); replays the lines `noise` does not match."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            kept = [line for line in text.splitlines(keepends=True) if not noise.search(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def quiet_startup() -> None:
    """Hides TensorFlow's start-up noise in this process (call before TensorFlow is imported)."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    around_import("tensorflow", filtered_stderr)


def verbose_startup() -> None:
    """Shows every TensorFlow log line, start-up included."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
