using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;

namespace GenBias.CompilerServices;

/// <summary>
/// Detects <c>SetParameters</c> running on one thread while <c>Forward</c>, <c>ForwardBatch</c>, <c>ForwardActivations</c>
/// or <c>Backward</c> runs on another (a sequence lock): the version is odd while the parameters are replaced and
/// changes with every replacement, so a computation that saw it odd, or changed, when it finished has read a mix of
/// old and new parameters and throws instead of returning it. Generated networks and <see cref="ReferenceNetwork"/>
/// call it. Readers pay two loads and one branch; nothing is locked.
/// </summary>
/// <remarks>
/// On x86-64 loads are not reordered with other loads, so every read of a parameter lies between the two reads of the
/// version and any overlap with a replacement is caught. On weaker memory models (Arm64) the final read may in rare
/// cases pass a parameter load; the check then catches races in practice but is not a proof. Synchronise
/// <c>SetParameters</c> with the other calls (or give each thread its own network) to be safe everywhere.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ParameterVersion
{
    /// <summary>The version before a computation reads the parameters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Read(ref int version) => Volatile.Read(ref version);

    /// <summary>Throws unless the version is even and unchanged since <paramref name="before"/> was read.</summary>
    /// <exception cref="InvalidOperationException">SetParameters ran during the computation.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(int before, ref int version)
    {
        if (((before & 1) | (before ^ Volatile.Read(ref version))) != 0)
        {
            ThrowRace();
        }
    }

    /// <summary>Marks the start of a replacement (the version becomes odd).</summary>
    /// <exception cref="InvalidOperationException">Another SetParameters is running on the same network.</exception>
    public static void BeginWrite(ref int version)
    {
        int current = Volatile.Read(ref version);
        if ((current & 1) != 0 || Interlocked.CompareExchange(ref version, current + 1, current) != current)
        {
            throw new InvalidOperationException(
                "SetParameters was called while another SetParameters was replacing this network's parameters on another thread; " +
                "SetParameters must not run concurrently with any other call on the same network.");
        }
    }

    /// <summary>Marks the end of a replacement (the version becomes even, and differs from before it began).</summary>
    public static void EndWrite(ref int version) => Interlocked.Increment(ref version);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowRace() => throw new InvalidOperationException(
        "SetParameters replaced this network's parameters on another thread while this call was computing with them, so its " +
        "result would mix old and new parameters; SetParameters must not run concurrently with Forward, ForwardBatch, " +
        "ForwardActivations or Backward on the same network: synchronise them (a ReaderWriterLockSlim, say) or give each thread its own network.");
}
