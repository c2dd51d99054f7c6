using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace GenBias;

/// <summary>
/// Labelled ternary data: rows of <see cref="InputCount"/> values in {-1, 0, +1} and a binary label (0 or 1) per row.
/// Built from arrays, CSV or ARFF; every loader checks everything and returns nothing half-loaded: a malformed row
/// throws an <see cref="InvalidDataException"/> that names its line.
/// </summary>
public sealed partial class TernaryDataset
{
    private readonly sbyte[] _inputs;
    private readonly byte[] _labels;

    internal TernaryDataset(sbyte[] inputs, byte[] labels, int inputCount, string? positiveLabelName)
    {
        _inputs = inputs;
        _labels = labels;
        InputCount = inputCount;
        PositiveLabelName = positiveLabelName;
    }

    /// <summary>The number of inputs per row.</summary>
    public int InputCount { get; }

    /// <summary>The number of rows.</summary>
    public int Count => _labels.Length;

    /// <summary>For data read from text, the class name that became label 1.</summary>
    public string? PositiveLabelName { get; }

    /// <summary>All inputs, row after row.</summary>
    public ReadOnlySpan<sbyte> Inputs => _inputs;

    /// <summary>The labels, 0 or 1.</summary>
    public ReadOnlySpan<byte> Labels => _labels;

    /// <summary>The number of rows labelled 1.</summary>
    public int PositiveCount => _labels.Count(l => l == 1);

    /// <summary>Row <paramref name="index"/>'s inputs.</summary>
    public ReadOnlySpan<sbyte> Row(int index) => _inputs.AsSpan(index * InputCount, InputCount);

    /// <summary>Builds a data set from rows and labels, checking both.</summary>
    /// <exception cref="ArgumentException">No rows, ragged rows, a value that is not ternary, a label that is not 0 or 1 (messages name the row).</exception>
    public static TernaryDataset FromArrays(IReadOnlyList<sbyte[]> rows, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        if (rows.Count == 0)
        {
            throw new ArgumentException("The data set is empty: give at least one row.", nameof(rows));
        }

        if (rows.Count != labels.Count)
        {
            throw new ArgumentException($"{rows.Count} rows but {labels.Count} labels.", nameof(labels));
        }

        int width = rows[0]?.Length ?? 0;
        if (width == 0)
        {
            throw new ArgumentException("Row 0 has no inputs.", nameof(rows));
        }

        sbyte[] inputs = new sbyte[rows.Count * width];
        byte[] bytes = new byte[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            sbyte[] row = rows[r] ?? throw new ArgumentException($"Row {r} is null.", nameof(rows));
            if (row.Length != width)
            {
                throw new ArgumentException($"Row {r} has {row.Length} inputs; row 0 has {width}.", nameof(rows));
            }

            for (int i = 0; i < width; i++)
            {
                if (row[i] is < -1 or > 1)
                {
                    throw new ArgumentException($"Row {r}, input {i} is {row[i]}; inputs must be -1, 0 or +1.", nameof(rows));
                }
            }

            if (labels[r] is not (0 or 1))
            {
                throw new ArgumentException($"Row {r} has label {labels[r]}; labels must be 0 or 1 (binary classification).", nameof(labels));
            }

            row.CopyTo(inputs, r * width);
            bytes[r] = (byte)labels[r];
        }

        return new TernaryDataset(inputs, bytes, width, null);
    }

    /// <summary>Splits the rows, shuffled with <paramref name="seed"/>, into a first part of <paramref name="firstFraction"/> and the rest.</summary>
    /// <remarks>Each part gets at least one row, so the data set needs at least two.</remarks>
    /// <exception cref="InvalidOperationException">The data set has a single row.</exception>
    public (TernaryDataset First, TernaryDataset Second) Split(double firstFraction, ulong seed)
    {
        if (!(firstFraction > 0 && firstFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(firstFraction), firstFraction, "The fraction must be in (0, 1).");
        }

        if (Count < 2)
        {
            throw new InvalidOperationException($"A data set of {Count} row cannot be split: each part needs at least one row.");
        }

        int[] order = ShuffledOrder(seed);
        int firstCount = Math.Clamp((int)Math.Round(Count * firstFraction), 1, Count - 1);
        return (Subset(order.AsSpan(0, firstCount)), Subset(order.AsSpan(firstCount)));
    }

    /// <summary>The rows at <paramref name="indices"/>, in that order.</summary>
    public TernaryDataset Subset(ReadOnlySpan<int> indices)
    {
        if (indices.Length == 0)
        {
            throw new ArgumentException("A subset needs at least one row.", nameof(indices));
        }

        sbyte[] inputs = new sbyte[indices.Length * InputCount];
        byte[] labels = new byte[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            Row(indices[k]).CopyTo(inputs.AsSpan(k * InputCount));
            labels[k] = _labels[indices[k]];
        }

        return new TernaryDataset(inputs, labels, InputCount, PositiveLabelName);
    }

    /// <summary>A permutation of the row indices fixed by <paramref name="seed"/>.</summary>
    public int[] ShuffledOrder(ulong seed)
    {
        int[] order = Enumerable.Range(0, Count).ToArray();
        new DeterministicRandom(seed).Shuffle<int>(order);
        return order;
    }
}
