"""Dev-time load tools against a live gateway: a fuzzer and a soak test. Both start the
gateway as a subprocess (or take --url), drive it over loopback only, stop by themselves,
and print what they found."""
