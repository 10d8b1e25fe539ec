#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz entry point: the image's environment (CC, CXX,
# CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE, SRC, OUT, WORK) is the contract that
# fuzz/oss-fuzz-build.sh honours.
"$SRC/wsprobe/fuzz/oss-fuzz-build.sh"
