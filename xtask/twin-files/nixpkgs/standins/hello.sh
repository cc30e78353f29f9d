#!/bin/sh
# Stand-in for GNU hello, version @version@: a package no host config has, used to show
# that one edit of ccciRuntimeTools reaches every consumer (claim M1.7).
echo "Hello, world!"
