#!/usr/bin/env python3
"""Independent model of Fluss's default bucketing, used to derive the literals in bucketing_test.cc.

Written from the algorithm description (reference/fluss.md 2.3; Fluss MurmurHashUtils.hashUnsafeBytes,
MathUtils.murmurHash(int), FlussBucketingFunction.bucketForRowKey), with Java int semantics modelled by
masking to 32 bits. Run: python3 tests/unit/format/bucketing_golden.py (no dependencies). Its output is pasted into
bucketing_test.cc; the four "Fluss test" inputs are the vectors of Fluss's own BucketingFunctionTest.
"""
M = 0xFFFFFFFF
C1, C2 = 0xCC9E2D51, 0x1B873593
SEED = 42


def rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & M


def mix_k1(k):
    k = (k * C1) & M
    k = rotl(k, 15)
    return (k * C2) & M


def mix_h1(h, k):
    h ^= k
    h = rotl(h, 13)
    return (h * 5 + 0xE6546B64) & M


def fmix(h):
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M
    h ^= h >> 16
    return h


def signed(x):
    return x - (1 << 32) if x & 0x80000000 else x


def hash_bytes(data):
    """MurmurHashUtils.hashUnsafeBytes(seed 42): LE words, then each tail byte sign-extended and mixed."""
    n = len(data)
    aligned = n - n % 4
    h = SEED
    for i in range(0, aligned, 4):
        h = mix_h1(h, mix_k1(int.from_bytes(data[i:i + 4], "little")))
    for i in range(aligned, n):
        b = data[i]
        k = b | 0xFFFFFF00 if b & 0x80 else b  # Java byte -> int sign extension
        h = mix_h1(h, mix_k1(k))
    return fmix(h ^ n)


def murmur_int_raw(code):
    """MathUtils.murmurHash(int) before the final absolute value."""
    h = mix_h1(0, mix_k1(code & M))  # seed 0: mixH1(0, k) == rotl(k,13)*5 + c
    return fmix(h ^ 4)


def murmur_int(code):
    v = signed(murmur_int_raw(code))
    if v >= 0:
        return v
    return 0 if v == -(1 << 31) else -v


def bucket(data, n):
    return murmur_int(hash_bytes(data)) % n


# ---- inverses, to find an input whose mixed value is Integer.MIN_VALUE ----
def inv_mul(c):
    return pow(c, -1, 1 << 32)


def unxorshift(h, s):
    x = h
    for _ in range(32 // s + 1):
        x = h ^ (x >> s)
    return x & M


def inv_fmix(h):
    h = unxorshift(h, 16)
    h = (h * inv_mul(0xC2B2AE35)) & M
    h = unxorshift(h, 13)
    h = (h * inv_mul(0x85EBCA6B)) & M
    h = unxorshift(h, 16)
    return h


def rotr(x, r):
    return ((x >> r) | (x << (32 - r))) & M


def inv_mix_h1(h_out, h_in):
    """k such that mix_h1(h_in, k) == h_out."""
    h = ((h_out - 0xE6546B64) * inv_mul(5)) & M
    return rotr(h, 13) ^ h_in


def inv_mix_k1(k):
    k = (k * inv_mul(C2)) & M
    k = rotr(k, 15)
    return (k * inv_mul(C1)) & M


if __name__ == "__main__":
    cases = [
        ("INT 1 key", bytes([0x01])),
        ("STRING 'hello' key", bytes([0x05]) + b"hello"),
        ("INT 200 key (tail bytes >= 0x80)", bytes([0xC8, 0x01])),
        ("BIGINT 2^32 key (one word + 1 tail)", bytes([0x80, 0x80, 0x80, 0x80, 0x10])),
        ("8 bytes, no tail", bytes([1, 2, 3, 4, 5, 6, 7, 8])),
        ("Fluss test [0,10]", bytes([0, 10])),
        ("Fluss test [0,10,10,10]", bytes([0, 10, 10, 10])),
        ("Fluss test uuid", b"2bb87d68-baf9-4e64-90f9-f80910419fa6"),
        ("Fluss test fox", b"The quick brown fox jumps over the lazy dog"),
    ]
    for name, data in cases:
        h = signed(hash_bytes(data))
        m = murmur_int(h)
        print(f"{name}: bytes={data.hex()} hash_bytes={h} ({h & M:#010x}) murmur_int={m} "
              f"bucket%7={bucket(data, 7)} %12={bucket(data, 12)} %16={bucket(data, 16)} %8={bucket(data, 8)} %3={bucket(data, 3)}")

    # murmurHash(int) whose pre-abs value is Integer.MIN_VALUE.
    target = 0x80000000
    h = inv_fmix(target) ^ 4
    k = inv_mix_h1(h, 0)
    code = inv_mix_k1(k)
    assert murmur_int_raw(code) == target and murmur_int(code) == 0
    print(f"murmurHash(int) raw == INT_MIN for code {signed(code)} ({code:#010x}); result 0")
    # A 4-byte key whose byte hash equals that code: invert fmix(h ^ 4), mix_h1 with seed 42, mix_k1.
    h = inv_fmix(code) ^ 4
    k = inv_mix_h1(h, SEED)
    word = inv_mix_k1(k)
    key = word.to_bytes(4, "little")
    assert hash_bytes(key) == code
    print(f"4-byte key {key.hex()} hashes to {signed(code)}; bucket for any n = {bucket(key, 7)} {bucket(key, 13)}")
    # What Java's Math.abs would have given instead (INT_MIN stays negative).
    print(f"Java Math.abs(INT_MIN) % 7 would be {-(1 << 31) - int(-(1 << 31) / 7) * 7} (negative)")
