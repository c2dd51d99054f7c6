using System;

namespace GenBias;

/// <summary>
/// xoshiro256** seeded through SplitMix64: a small, fast generator whose sequence is fixed by this code, not by
/// the runtime version, so that the same seed gives the same model everywhere.
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    public DeterministicRandom(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A double uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer uniform in [0, <paramref name="bound"/>) (Lemire's unbiased method).</summary>
    public int Next(int bound)
    {
        if (bound <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "The bound must be positive.");
        }

        ulong m = (NextUInt64() & 0xFFFFFFFF) * (ulong)bound;
        if ((m & 0xFFFFFFFF) < (ulong)bound)
        {
            // The threshold is below the bound, so a draw at or above the bound is accepted without it (no division).
            ulong threshold = (ulong)-(long)bound % (ulong)bound;
            while ((m & 0xFFFFFFFF) < threshold)
            {
                m = (NextUInt64() & 0xFFFFFFFF) * (ulong)bound;
            }
        }

        return (int)(m >> 32);
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A generator for a sub-task, independent of this one's future draws.</summary>
    public DeterministicRandom Fork() => new(NextUInt64());

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
