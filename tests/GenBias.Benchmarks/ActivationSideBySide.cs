using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias.Benchmarks;

/// <summary>
/// The canonical tanh (activation math version 2) against version 1, per 8 lanes (Vector256) and per 16 lanes
/// (Vector512), as throughput (independent vectors) and as dependent latency (each result feeds the next call),
/// interleaved round by round in one process; medians and the median of each round's ratio.
/// <c>dotnet run -c Release --project tests/GenBias.Benchmarks -- --activation [rounds]</c>
/// </summary>
internal static class ActivationSideBySide
{
    private interface ITanh
    {
        static abstract Vector256<float> Of(Vector256<float> x);

        static abstract Vector512<float> Of(Vector512<float> x);
    }

    private readonly struct Current : ITanh
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Of(Vector256<float> x) => ActivationMath.Tanh(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Of(Vector512<float> x) => ActivationMath.Tanh(x);
    }

    private readonly struct Version1 : ITanh
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Of(Vector256<float> x) => TanhVersion1.Of(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Of(Vector512<float> x) => TanhVersion1.Of(x);
    }

    public static void Run(int rounds)
    {
        float[] data = new float[4096];
        var random = new Random(1);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 8) - 4);
        }

        string[] names = ["throughput, 8 lanes", "throughput, 16 lanes", "latency, 8 lanes", "latency, 16 lanes"];
        var times = new double[names.Length, 2, rounds];
        for (int r = 0; r < rounds; r++)
        {
            for (int v = 0; v < 2; v++)
            {
                bool current = v == 0;
                times[0, v, r] = current ? Throughput256<Current>(data) : Throughput256<Version1>(data);
                times[1, v, r] = current ? Throughput512<Current>(data) : Throughput512<Version1>(data);
                times[2, v, r] = current ? Latency256<Current>() : Latency256<Version1>();
                times[3, v, r] = current ? Latency512<Current>() : Latency512<Version1>();
            }
        }

        Console.WriteLine($"{Environment.ProcessorCount} cores, Vector512 accelerated: {Vector512.IsHardwareAccelerated}, load {System.IO.File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"ns per vector",-22} {"version 2",10} {"version 1",10} {"ratio (median of rounds)",26}");
        for (int b = 0; b < names.Length; b++)
        {
            double[] now = [.. Enumerable.Range(0, rounds).Select(r => times[b, 0, r]).Order()];
            double[] then = [.. Enumerable.Range(0, rounds).Select(r => times[b, 1, r]).Order()];
            double[] ratio = [.. Enumerable.Range(0, rounds).Select(r => times[b, 0, r] / times[b, 1, r]).Order()];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{names[b],-22} {now[rounds / 2],10:F2} {then[rounds / 2],10:F2} {ratio[rounds / 2],26:F2}"));
        }
    }

    private static double Throughput256<T>(float[] data)
        where T : ITanh
    {
        Vector256<float> sum = Vector256<float>.Zero;
        long calls = 0;
        var clock = Stopwatch.StartNew();
        for (int repeat = 0; repeat < 500; repeat++)
        {
            for (int i = 0; i < data.Length; i += 8, calls++)
            {
                sum += T.Of(Vector256.Create(data.AsSpan(i, 8)));
            }
        }

        GC.KeepAlive(sum.ToString());
        return clock.Elapsed.TotalNanoseconds / calls;
    }

    private static double Throughput512<T>(float[] data)
        where T : ITanh
    {
        Vector512<float> sum = Vector512<float>.Zero;
        long calls = 0;
        var clock = Stopwatch.StartNew();
        for (int repeat = 0; repeat < 500; repeat++)
        {
            for (int i = 0; i < data.Length; i += 16, calls++)
            {
                sum += T.Of(Vector512.Create(data.AsSpan(i, 16)));
            }
        }

        GC.KeepAlive(sum.ToString());
        return clock.Elapsed.TotalNanoseconds / calls;
    }

    private static double Latency256<T>()
        where T : ITanh
    {
        Vector256<float> x = Vector256.Create(0.3f);
        const int Calls = 500_000;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Calls; i++)
        {
            x = T.Of(x) * 2.5f;
        }

        GC.KeepAlive(x.ToString());
        return clock.Elapsed.TotalNanoseconds / Calls;
    }

    private static double Latency512<T>()
        where T : ITanh
    {
        Vector512<float> x = Vector512.Create(0.3f);
        const int Calls = 500_000;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Calls; i++)
        {
            x = T.Of(x) * 2.5f;
        }

        GC.KeepAlive(x.ToString());
        return clock.Elapsed.TotalNanoseconds / Calls;
    }
}

/// <summary>Activation math version 1's tanh (a [13/6] rational, GenBias 0.4), kept here only as the baseline it was.</summary>
internal static class TanhVersion1
{
    private const float Clamp = 7.90531110763549805f;
    private const float A1 = 4.89352455891786e-03f, A3 = 6.37261928875436e-04f, A5 = 1.48572235717979e-05f;
    private const float A7 = 5.12229709037114e-08f, A9 = -8.60467152213735e-11f, A11 = 2.00018790482477e-13f;
    private const float A13 = -2.76076847742355e-16f, B0 = 4.89352518554385e-03f, B2 = 2.26843463243900e-03f;
    private const float B4 = 1.18534705686654e-04f, B6 = 1.19825839466702e-06f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Of(Vector256<float> x)
    {
        x = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(-Clamp)), Vector256.Create(Clamp));
        Vector256<float> y = x * x, y2 = y * y, y4 = y2 * y2;
        Vector256<float> p = Vector256.FusedMultiplyAdd(y, Vector256.Create(A3), Vector256.Create(A1));
        p = Vector256.FusedMultiplyAdd(y2, Vector256.FusedMultiplyAdd(y, Vector256.Create(A7), Vector256.Create(A5)), p);
        p = Vector256.FusedMultiplyAdd(y4, Vector256.FusedMultiplyAdd(y2, Vector256.Create(A13),
            Vector256.FusedMultiplyAdd(y, Vector256.Create(A11), Vector256.Create(A9))), p);
        Vector256<float> q = Vector256.FusedMultiplyAdd(y2, Vector256.FusedMultiplyAdd(y, Vector256.Create(B6), Vector256.Create(B4)),
            Vector256.FusedMultiplyAdd(y, Vector256.Create(B2), Vector256.Create(B0)));
        return p * x / q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Of(Vector512<float> x)
    {
        x = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(-Clamp)), Vector512.Create(Clamp));
        Vector512<float> y = x * x, y2 = y * y, y4 = y2 * y2;
        Vector512<float> p = Vector512.FusedMultiplyAdd(y, Vector512.Create(A3), Vector512.Create(A1));
        p = Vector512.FusedMultiplyAdd(y2, Vector512.FusedMultiplyAdd(y, Vector512.Create(A7), Vector512.Create(A5)), p);
        p = Vector512.FusedMultiplyAdd(y4, Vector512.FusedMultiplyAdd(y2, Vector512.Create(A13),
            Vector512.FusedMultiplyAdd(y, Vector512.Create(A11), Vector512.Create(A9))), p);
        Vector512<float> q = Vector512.FusedMultiplyAdd(y2, Vector512.FusedMultiplyAdd(y, Vector512.Create(B6), Vector512.Create(B4)),
            Vector512.FusedMultiplyAdd(y, Vector512.Create(B2), Vector512.Create(B0)));
        return p * x / q;
    }
}
