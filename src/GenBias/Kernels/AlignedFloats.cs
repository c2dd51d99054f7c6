using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GenBias.CompilerServices;

/// <summary>
/// Floats that start on a 64-byte boundary: a pinned array with the origin moved past its first unaligned floats. A
/// Vector512 load from an unaligned array crosses two cache lines and takes two load slots; column kernels that load
/// every column for every set input bit (<see cref="WideFirstLayer"/>) read twice as fast from an aligned copy.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AlignedFloats
{
    private const int AlignmentFloats = 16;
    private readonly float[] _buffer;
    private readonly int _origin;

    /// <summary>Room for <paramref name="length"/> floats, all zero.</summary>
    public unsafe AlignedFloats(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _buffer = GC.AllocateArray<float>(length + AlignmentFloats, pinned: true);
        Length = length;
        // The array is pinned, so its address, and with it the offset to the next 64-byte boundary, never changes.
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        _origin = (int)((-address & ((AlignmentFloats * sizeof(float)) - 1)) / sizeof(float));
    }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>The first float, on a 64-byte boundary.</summary>
    public ref float Origin => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), _origin);

    /// <summary>The floats as a span.</summary>
    public Span<float> Span => _buffer.AsSpan(_origin, Length);
}
