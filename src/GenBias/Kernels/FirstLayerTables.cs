using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// The first layer of a network as tables of group sums: for every group of five inputs
/// (<see cref="ShapeRules.GroupSize"/>) and each of its 3^5 = 243 combinations, the row of every neuron's group sum
/// S_g in the canonical order (<see cref="CanonicalSum.FirstLayer"/>), the bias folded into group 0. A first-layer
/// pre-activation is then one row load per group and the fixed tree, with the bits of the canonical order for any
/// parameters, on the exact grid or not. Generated code reads them; <see cref="Build"/> runs in <c>SetParameters</c>.
/// </summary>
/// <remarks>
/// Row <c>r</c> of a group stands for the inputs whose base-3 digits are those of <c>r</c>: digit <c>i</c> (the
/// <c>i</c>-th input of the group) is 0 for an input of 0, 1 for +1 and 2 for -1, so from the packed masks
/// <c>r = B(positive bits) + 2·B(negative bits)</c> with <c>B</c> the base-3 value of five bits (<see cref="Row"/>).
/// Group g's table starts at <c>g · 243 · stride</c> floats; neuron k's sum is at <c>+ r · stride + k</c>, the
/// padding of each row holds zeros. The storage is pinned and 64-byte aligned, so a Vector512 row load never
/// splits a cache line.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FirstLayerTables
{
    private readonly float[] _storage;
    private readonly int _origin;
    private readonly int[] _keyOffsets = new int[1024];
    private readonly LayerShape _layer;

    /// <summary>Tables for the first layer of <paramref name="shape"/> (all zero until <see cref="Build"/>).</summary>
    public FirstLayerTables(NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        _layer = shape.Layers[0];
        if (!ShapeRules.UsesTables(_layer.InputCount, _layer.Width))
        {
            throw new ArgumentException(
                $"A first layer of {_layer.Width} neurons over {_layer.InputCount} inputs is computed without tables.", nameof(shape));
        }

        Stride = ShapeRules.TableStride(_layer.Width);
        Length = ShapeRules.TableFloats(_layer.InputCount, _layer.Width);
        for (int key = 0; key < _keyOffsets.Length; key++)
        {
            // Keys with a bit in both masks never occur (inputs are validated); they point at row 0.
            int positive = key & 31, negative = key >> 5;
            _keyOffsets[key] = (positive & negative) != 0 ? 0 : (Base3[positive] + (2 * Base3[negative])) * Stride;
        }
        _storage = GC.AllocateArray<float>(Length + 16, pinned: true);
        unsafe
        {
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage));
            _origin = (int)(((64 - (address & 63)) & 63) / sizeof(float));
        }
    }

    /// <summary>Floats per table row.</summary>
    public int Stride { get; }

    /// <summary>Floats of all tables.</summary>
    public int Length { get; }

    /// <summary>The first float of group 0's table, 64-byte aligned.</summary>
    public ref float Origin => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_storage), _origin);

    /// <summary>
    /// Entry <c>k</c> is the offset, in floats, of the row of a group whose key (<see cref="Key"/>) is <c>k</c>: one
    /// load turns ten mask bits into a row.
    /// </summary>
    public ref int KeyOrigin => ref MemoryMarshal.GetArrayDataReference(_keyOffsets);

    /// <summary>The tables as a span (for tests).</summary>
    public ReadOnlySpan<float> Values => _storage.AsSpan(_origin, Length);

    /// <summary>
    /// Recomputes every row from the canonical <paramref name="parameters"/>: 243 · groups · width chains of at most
    /// five fused multiply-adds (about 20 µs for 25 → 16).
    /// </summary>
    public void Build(ReadOnlySpan<float> parameters)
    {
        int inputs = _layer.InputCount, width = _layer.Width, groups = ShapeRules.Groups(inputs);
        Span<float> table = _storage.AsSpan(_origin, Length);
        table.Clear();
        Span<float> digits = stackalloc float[ShapeRules.GroupSize];
        for (int g = 0; g < groups; g++)
        {
            int first = g * ShapeRules.GroupSize, count = Math.Min(ShapeRules.GroupSize, inputs - first);
            int rows = count == ShapeRules.GroupSize ? ShapeRules.GroupRows : Pow3(count);
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0, rest = r; i < count; i++, rest /= 3)
                {
                    digits[i] = (rest % 3) switch { 0 => 0f, 1 => 1f, _ => -1f };
                }

                Span<float> row = table.Slice(((g * ShapeRules.GroupRows) + r) * Stride, width);
                for (int k = 0; k < width; k++)
                {
                    float s = g == 0 ? parameters[_layer.BiasIndex(k)] : 0f;
                    for (int i = 0; i < count; i++)
                    {
                        s = MathF.FusedMultiplyAdd(digits[i], parameters[_layer.WeightIndex(k, first + i)], s);
                    }

                    row[k] = s;
                }
            }
        }
    }

    /// <summary>
    /// The table row of the group whose five inputs start at bit <paramref name="shift"/> of the packed masks (bits
    /// beyond the input count must be clear, as <see cref="TernaryInput.ValidatePacked"/> ensures).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Row(ulong positive, ulong negative, int shift) =>
        Base3[(int)(positive >> shift) & 31] + (2 * Base3[(int)(negative >> shift) & 31]);

    /// <summary>
    /// The ten-bit key of the group whose five inputs start at bit <paramref name="shift"/>: its positive bits, then its
    /// negative bits above them. <see cref="KeyOrigin"/> maps it to the group's row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Key(ulong positive, ulong negative, int shift) =>
        (int)((positive >> shift) & 31) | (int)(((negative >> shift) & 31) << 5);

    /// <summary>The base-3 value of five bits: bit i counts 3^i.</summary>
    private static ReadOnlySpan<byte> Base3 =>
    [
        0, 1, 3, 4, 9, 10, 12, 13, 27, 28, 30, 31, 36, 37, 39, 40,
        81, 82, 84, 85, 90, 91, 93, 94, 108, 109, 111, 112, 117, 118, 120, 121,
    ];

    private static int Pow3(int e)
    {
        int p = 1;
        for (int i = 0; i < e; i++)
        {
            p *= 3;
        }

        return p;
    }
}
