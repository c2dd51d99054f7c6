using System;
using System.Collections.Generic;
using System.Linq;
using GenBias;

namespace ClassificationStudy;

/// <summary>
/// The composed baseline: the free classifier where an input is within Hamming distance r of a training row, and
/// "positive" everywhere else. The data occupy a vanishing part of the cube, so a preference on the cube costs this
/// classifier almost nothing; it is the honest baseline for "a network trained to be positive on τ of the cube".
/// </summary>
/// <remarks>
/// r is the largest radius whose certificate meets τ. On cubes of at most 3^9 inputs the certificate is an exact
/// count (every input, its distance to the training rows and the free network's answer); beyond, the union bound
/// 1 − D·|B(r)|/3^n, D the distinct training rows and |B(r)| = Σ_{i≤r} C(n, i)·2^i the inputs within distance r of
/// one row — a lower bound on the fraction answered positive, in exact integer arithmetic.
/// </remarks>
public static class ComposedBaseline
{
    /// <summary>Cubes of at most 3^this inputs are counted exactly.</summary>
    public const int ExactMaxInputs = 9;

    /// <summary>One fold's composed classifier: its radius, test answers and certificate.</summary>
    /// <param name="Radius">The radius r (−1: positive everywhere, when no r ≥ 0 meets τ).</param>
    /// <param name="CertifiedFraction">The certified fraction of the cube answered positive (exact, or the union bound).</param>
    /// <param name="Exact">Whether the fraction is an exact count.</param>
    /// <param name="Positive">The answer on each test row.</param>
    public sealed record Result(int Radius, double CertifiedFraction, bool Exact, bool[] Positive);

    /// <summary>A fold's distances, which depend on its rows only (not on the network, the seed or τ): computed once per fold.</summary>
    /// <param name="DistinctRows">How many distinct training rows.</param>
    /// <param name="Test">Each test row's distance to the nearest training row.</param>
    /// <param name="Cube">Each cube input's distance (index order of <see cref="CubeInputs"/>), on cubes counted exactly; else null.</param>
    public sealed record Distances(int DistinctRows, int[] Test, int[]? Cube);

    /// <summary>The distances of a fold's test rows (and of every cube input, on small cubes) to its training rows.</summary>
    public static Distances Measure(TernaryDataset train, TernaryDataset test)
    {
        sbyte[][] rows = [.. Distinct(train)];
        int n = train.InputCount;
        int[] testDistances = [.. Enumerable.Range(0, test.Count).Select(r => Nearest(rows, test.Row(r)))];
        int[]? cube = null;
        if (n <= ExactMaxInputs)
        {
            sbyte[] inputs = CubeInputs(n);
            cube = [.. Enumerable.Range(0, inputs.Length / n).Select(x => Nearest(rows, inputs.AsSpan(x * n, n)))];
        }

        return new Distances(rows.Length, testDistances, cube);
    }

    /// <summary>Composes <paramref name="free"/> (answering positive above <paramref name="threshold"/>) with "far from the training rows ⇒ positive" at τ.</summary>
    public static Result Compose(ITernaryNetwork free, Distances distances, TernaryDataset test, double tau, float threshold)
    {
        int n = test.InputCount;
        float[] outputs = new float[test.Count];
        free.ForwardBatch(test.Inputs, outputs);
        int radius = -1;
        double fraction = 1;
        if (distances.Cube is int[] cube)
        {
            float[] cubeOutputs = new float[cube.Length];
            free.ForwardBatch(CubeInputs(n), cubeOutputs);
            for (int r = 0; r <= n; r++)
            {
                long count = Enumerable.Range(0, cube.Length).LongCount(x => cube[x] > r || cubeOutputs[x] > threshold);
                if (count < tau * cube.Length)
                {
                    break;
                }

                (radius, fraction) = (r, (double)count / cube.Length);
            }
        }
        else
        {
            for (int r = 0; r <= n; r++)
            {
                double bound = UnionBound(distances.DistinctRows, n, r);
                if (bound < tau)
                {
                    break;
                }

                (radius, fraction) = (r, bound);
            }
        }

        bool[] positive = [.. Enumerable.Range(0, test.Count).Select(r => distances.Test[r] > radius || outputs[r] > threshold)];
        return new Result(radius, fraction, distances.Cube is not null, positive);
    }

    /// <summary>Every input of the cube of <paramref name="n"/> inputs, in index order (input i is digit i of the index in base 3, minus 1).</summary>
    public static sbyte[] CubeInputs(int n)
    {
        long total = (long)Math.Pow(3, n);
        sbyte[] cube = new sbyte[total * n];
        for (long index = 0; index < total; index++)
        {
            long rest = index;
            for (int i = 0; i < n; i++)
            {
                cube[(index * n) + i] = (sbyte)((rest % 3) - 1);
                rest /= 3;
            }
        }

        return cube;
    }

    /// <summary>1 − D·|B(r)|/3^n (clamped at 0), in exact integer arithmetic until the final division.</summary>
    public static double UnionBound(int distinctRows, int inputs, int radius)
    {
        System.Numerics.BigInteger ball = 0, cube = System.Numerics.BigInteger.Pow(3, inputs);
        for (int i = 0; i <= radius; i++)
        {
            ball += Binomial(inputs, i) * System.Numerics.BigInteger.Pow(2, i);
        }

        System.Numerics.BigInteger near = distinctRows * ball;
        return near >= cube ? 0 : (double)(cube - near) / (double)cube;
    }

    /// <summary>The Hamming distance from <paramref name="x"/> to the nearest of <paramref name="rows"/>.</summary>
    public static int Nearest(sbyte[][] rows, ReadOnlySpan<sbyte> x)
    {
        int best = x.Length;
        foreach (sbyte[] row in rows)
        {
            int d = 0;
            for (int i = 0; i < x.Length && d < best; i++)
            {
                d += row[i] != x[i] ? 1 : 0;
            }

            best = Math.Min(best, d);
            if (best == 0)
            {
                break;
            }
        }

        return best;
    }

    private static IEnumerable<sbyte[]> Distinct(TernaryDataset data)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int r = 0; r < data.Count; r++)
        {
            sbyte[] row = data.Row(r).ToArray();
            if (seen.Add(string.Join(",", row)))
            {
                yield return row;
            }
        }
    }

    private static System.Numerics.BigInteger Binomial(int n, int k)
    {
        System.Numerics.BigInteger result = 1;
        for (int i = 1; i <= k; i++)
        {
            result = result * (n - k + i) / i;
        }

        return result;
    }
}
