"""The corpus being built: seeds per target, deduplicated by content (files
are named by their SHA-256) and optionally by a structural signature, cut at
the target's cap, and written (or pruned) under the output directory.
"""

import hashlib
import os

from .layouts import TARGETS, cap_of

# ---------------------------------------------------------------------------
# The corpus being built.
# ---------------------------------------------------------------------------


class Corpus:
    def __init__(self):
        self.seeds = {t: {} for t in TARGETS}  # target -> sha -> bytes
        self.signatures = {t: set() for t in TARGETS}

    def add(self, target, data, signature=None):
        """Adds one seed (already in the target's layout). A signature
        already seen for the target drops the seed (structural dedupe)."""
        if data is None:
            return False
        if signature is not None:
            if signature in self.signatures[target]:
                return False
            self.signatures[target].add(signature)
        data = bytes(data[:cap_of(target)])
        sha = hashlib.sha256(data).hexdigest()
        self.seeds[target][sha] = data
        return True

    def write(self, out_dir, prune):
        written = 0
        for target in TARGETS:
            d = os.path.join(out_dir, target)
            seeds = self.seeds[target]
            if not seeds and not os.path.isdir(d):
                continue
            os.makedirs(d, exist_ok=True)
            for sha, data in sorted(seeds.items()):
                path = os.path.join(d, sha)
                if os.path.exists(path):
                    continue
                tmp = path + ".tmp"
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
                written += 1
            if prune:
                for name in os.listdir(d):
                    if name not in seeds:
                        os.remove(os.path.join(d, name))
        return written
