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
public sealed class TernaryDataset
{
    private readonly sbyte[] _inputs;
    private readonly byte[] _labels;

    private TernaryDataset(sbyte[] inputs, byte[] labels, int inputCount, string? positiveLabelName)
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

    /// <summary>
    /// Reads CSV: one row per line, the inputs then the label (or the label first, see <paramref name="options"/>).
    /// Input tokens are -1/0/1 unless <see cref="TextDataOptions.InputTokens"/> maps them (for example y/n/?).
    /// </summary>
    /// <exception cref="InvalidDataException">A malformed line: the message gives its number and what is wrong.</exception>
    public static TernaryDataset FromCsv(TextReader reader, TextDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        var rows = new List<string[]>();
        var lines = new List<int>();
        int lineNumber = 0;
        bool headerSkipped = !options.HasHeader;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (!headerSkipped)
            {
                // The header is the first line that is not blank.
                headerSkipped = true;
                continue;
            }

            rows.Add(SplitCsvLine(line, options.Separator, lineNumber));
            lines.Add(lineNumber);
        }

        return FromTokens(rows, lines, options, "CSV");
    }

    /// <summary>
    /// One CSV line into trimmed fields: a field may be quoted ("a,b"), with "" for a quote inside; an unclosed quote
    /// is an error naming the line.
    /// </summary>
    private static string[] SplitCsvLine(string line, char separator, int lineNumber)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        int i = 0;
        while (true)
        {
            field.Clear();
            while (i < line.Length && line[i] is ' ' or '\t' && line[i] != separator)
            {
                i++;
            }

            if (i < line.Length && line[i] == '"')
            {
                int open = i;
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new InvalidDataException($"CSV line {lineNumber}, column {fields.Count + 1}: the quote opened at character {open + 1} is not closed.");
                    }

                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(line[i++]);
                }

                while (i < line.Length && line[i] != separator)
                {
                    if (!char.IsWhiteSpace(line[i]))
                    {
                        throw new InvalidDataException($"CSV line {lineNumber}, column {fields.Count + 1}: text after the closing quote.");
                    }

                    i++;
                }

                fields.Add(field.ToString());
            }
            else
            {
                int end = line.IndexOf(separator, i);
                end = end < 0 ? line.Length : end;
                fields.Add(line[i..end].Trim());
                i = end;
            }

            if (i >= line.Length)
            {
                return [.. fields];
            }

            i++; // the separator
        }
    }

    /// <summary>Reads CSV from a file (see <see cref="FromCsv(TextReader, TextDataOptions)"/>).</summary>
    public static TernaryDataset FromCsv(string path, TextDataOptions options)
    {
        using var reader = new StreamReader(path);
        return WithFile(path, () => FromCsv(reader, options));
    }

    /// <summary>
    /// Reads ARFF (Weka): nominal attributes, the class attribute last unless <see cref="TextDataOptions.LabelColumn"/>
    /// says otherwise. Values map through <see cref="TextDataOptions.InputTokens"/> (for vote.arff: y=+1, n=-1, ?=0).
    /// </summary>
    public static TernaryDataset FromArff(TextReader reader, TextDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        var rows = new List<string[]>();
        var lines = new List<int>();
        var declared = new List<string[]?>();   // per attribute: its nominal values, if declared as {a, b, …}
        int attributes = 0, lineNumber = 0;
        bool inData = false;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNumber++;
            string text = line.Trim();
            if (text.Length == 0 || text.StartsWith('%'))
            {
                continue;
            }

            if (!inData)
            {
                if (text.StartsWith("@attribute", StringComparison.OrdinalIgnoreCase))
                {
                    attributes++;
                    int open = text.IndexOf('{', StringComparison.Ordinal), close = text.LastIndexOf('}');
                    declared.Add(open >= 0 && close > open
                        ? [.. text[(open + 1)..close].Split(',').Select(v => v.Trim().Trim('\'', '"'))]
                        : null);
                }
                else if (text.StartsWith("@data", StringComparison.OrdinalIgnoreCase))
                {
                    inData = true;
                }

                continue;
            }

            string[] tokens = text.Split(',').Select(t => t.Trim().Trim('\'', '"')).ToArray();
            if (tokens.Length != attributes)
            {
                throw new InvalidDataException($"ARFF line {lineNumber}: {tokens.Length} values, but the header declares {attributes} attributes.");
            }

            rows.Add(tokens);
            lines.Add(lineNumber);
        }

        if (!inData)
        {
            throw new InvalidDataException("ARFF: no @data section.");
        }

        // The class attribute's declared values are the only labels allowed.
        int labelColumn = options.LabelColumn < 0 ? attributes + options.LabelColumn : options.LabelColumn;
        if (labelColumn >= 0 && labelColumn < declared.Count && declared[labelColumn] is { } classes)
        {
            for (int r = 0; r < rows.Count; r++)
            {
                string label = rows[r][labelColumn];
                if (!classes.Contains(label, StringComparer.Ordinal))
                {
                    throw new InvalidDataException($"ARFF line {lines[r]}: class '{label}' is not one of the declared values {{{string.Join(", ", classes)}}}.");
                }
            }
        }

        return FromTokens(rows, lines, options, "ARFF");
    }

    /// <summary>Reads ARFF from a file (see <see cref="FromArff(TextReader, TextDataOptions)"/>).</summary>
    public static TernaryDataset FromArff(string path, TextDataOptions options)
    {
        using var reader = new StreamReader(path);
        return WithFile(path, () => FromArff(reader, options));
    }

    /// <summary>Splits the rows, shuffled with <paramref name="seed"/>, into a first part of <paramref name="firstFraction"/> and the rest.</summary>
    public (TernaryDataset First, TernaryDataset Second) Split(double firstFraction, ulong seed)
    {
        if (!(firstFraction > 0 && firstFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(firstFraction), firstFraction, "The fraction must be in (0, 1).");
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

    private static TernaryDataset WithFile(string path, Func<TernaryDataset> load)
    {
        try
        {
            return load();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static TernaryDataset FromTokens(List<string[]> rows, List<int> lines, TextDataOptions options, string format)
    {
        if (rows.Count == 0)
        {
            throw new InvalidDataException($"{format}: the data has no rows.");
        }

        int columns = rows[0].Length;
        int labelColumn = options.LabelColumn < 0 ? columns + options.LabelColumn : options.LabelColumn;
        if (columns < 2 || labelColumn < 0 || labelColumn >= columns)
        {
            throw new InvalidDataException($"{format} line {lines[0]}: {columns} columns; the label column {options.LabelColumn} does not exist.");
        }

        int width = columns - 1;
        string? positive = options.PositiveLabel;
        var labelNames = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string[] row in rows)
        {
            if (row.Length == columns)
            {
                labelNames.Add(row[labelColumn]);
            }
        }

        if (positive is null)
        {
            // Without a named positive class, labels must be 0/1 already, or exactly two names (the second in
            // ordinal order becomes 1).
            if (labelNames.All(n => n is "0" or "1"))
            {
                positive = "1";
            }
            else if (labelNames.Count == 2)
            {
                positive = labelNames.Max;
            }
            else
            {
                string hint = format == "CSV" && !options.HasHeader && rows.Count > 1 && rows[0].Length == columns &&
                              labelNames.Remove(rows[0][labelColumn]) && labelNames.All(n => n is "0" or "1")
                    ? $" Line {lines[0]} looks like a header ('{rows[0][labelColumn]}'): set HasHeader."
                    : " Name the positive class with PositiveLabel.";
                labelNames.Add(rows[0][labelColumn]);
                throw new InvalidDataException($"{format}: labels {string.Join(", ", labelNames.Take(5))}{(labelNames.Count > 5 ? ", …" : "")} are not binary.{hint}");
            }
        }
        else if (options.NegativeLabel is { } negative)
        {
            // Both classes named: any other label is an error (a typo would otherwise become a silent negative).
            for (int r = 0; r < rows.Count; r++)
            {
                if (rows[r].Length == columns && rows[r][labelColumn] is { } label && label != positive && label != negative)
                {
                    throw new InvalidDataException($"{format} line {lines[r]}: label '{label}' is neither the positive '{positive}' nor the negative '{negative}'.");
                }
            }
        }
        else if (labelNames.Count > 2 && !options.OtherLabelsNegative)
        {
            // More than two labels with only the positive one named: one against the rest must be asked for.
            int r = rows.FindIndex(row => row.Length == columns && row[labelColumn] != positive);
            string other = rows[r][labelColumn];
            int second = rows.FindIndex(row => row.Length == columns && row[labelColumn] != positive && row[labelColumn] != other);
            throw new InvalidDataException(
                $"{format} line {lines[second]}: label '{rows[second][labelColumn]}' is a third class beside '{positive}' and '{other}'; " +
                "set NegativeLabel to reject it, or OtherLabelsNegative = true to train one class against the rest.");
        }

        sbyte[] inputs = new sbyte[rows.Count * width];
        byte[] labels = new byte[rows.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            string[] row = rows[r];
            if (row.Length != columns)
            {
                throw new InvalidDataException($"{format} line {lines[r]}: {row.Length} columns; the first row has {columns}.");
            }

            int i = 0;
            for (int c = 0; c < columns; c++)
            {
                if (c == labelColumn)
                {
                    continue;
                }

                inputs[(r * width) + i] = ParseInput(row[c], options, format, lines[r], c);
                i++;
            }

            string label = row[labelColumn];
            if (options.PositiveLabel is null && labelNames.Count > 2)
            {
                throw new InvalidDataException($"{format} line {lines[r]}: label '{label}' is not binary.");
            }

            labels[r] = label == positive ? (byte)1 : (byte)0;
        }

        return new TernaryDataset(inputs, labels, width, positive);
    }

    private static sbyte ParseInput(string token, TextDataOptions options, string format, int line, int column)
    {
        if (options.InputTokens is { } map)
        {
            if (map.TryGetValue(token, out sbyte mapped) && mapped is >= -1 and <= 1)
            {
                return mapped;
            }

            throw new InvalidDataException($"{format} line {line}, column {column + 1}: '{token}' is not one of the mapped tokens ({string.Join(", ", map.Keys)}).");
        }

        if (int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value is >= -1 and <= 1)
        {
            return (sbyte)value;
        }

        throw new InvalidDataException($"{format} line {line}, column {column + 1}: '{token}' is not -1, 0 or 1.");
    }
}

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
