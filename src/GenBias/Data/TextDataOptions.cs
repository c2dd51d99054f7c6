using System.Collections.Generic;

namespace GenBias;

/// <summary>How to read a text data file.</summary>
public sealed record TextDataOptions
{
    /// <summary>The column of the label; negative counts from the end (-1, the default, is the last column).</summary>
    public int LabelColumn { get; init; } = -1;

    /// <summary>The label value that becomes 1; if null, labels must be 0/1 or exactly two names.</summary>
    public string? PositiveLabel { get; init; }

    /// <summary>The label value that becomes 0; when set (with <see cref="PositiveLabel"/>), any other label is an error naming its line.</summary>
    public string? NegativeLabel { get; init; }

    /// <summary>
    /// With <see cref="PositiveLabel"/> set, whether labels other than it all become 0 (one class against the rest). If
    /// false (the default), a third distinct label is an error naming its line.
    /// </summary>
    public bool OtherLabelsNegative { get; init; }

    /// <summary>Maps input tokens to -1/0/+1 (for example y → 1, n → -1, ? → 0); if null, tokens are the numbers themselves.</summary>
    public IReadOnlyDictionary<string, sbyte>? InputTokens { get; init; }

    /// <summary>The CSV separator.</summary>
    public char Separator { get; init; } = ',';

    /// <summary>Whether the first CSV line that is not blank is a header.</summary>
    public bool HasHeader { get; init; }
}
