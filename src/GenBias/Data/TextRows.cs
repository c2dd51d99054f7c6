using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace GenBias;

/// <summary>
/// The fields of one text row, held as ranges of one reusable character buffer, so that reading a row allocates nothing.
/// </summary>
internal sealed class RowFields
{
    private char[] _text = new char[256];
    private int _length;
    private (int Start, int Length)[] _fields = new (int, int)[32];

    /// <summary>The number of fields.</summary>
    public int Count { get; private set; }

    /// <summary>Field <paramref name="index"/>'s text.</summary>
    public ReadOnlySpan<char> this[int index] => _text.AsSpan(_fields[index].Start, _fields[index].Length);

    public void Clear()
    {
        _length = 0;
        Count = 0;
    }

    /// <summary>Starts a new, empty field.</summary>
    public void Begin()
    {
        if (Count == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        _fields[Count++] = (_length, 0);
    }

    /// <summary>Appends text to the field begun last.</summary>
    public void Append(ReadOnlySpan<char> text)
    {
        if (_length + text.Length > _text.Length)
        {
            Array.Resize(ref _text, Math.Max(_text.Length * 2, _length + text.Length));
        }

        text.CopyTo(_text.AsSpan(_length));
        _length += text.Length;
        _fields[Count - 1].Length += text.Length;
    }

    /// <summary>Appends one character to the field begun last.</summary>
    public void Append(char c) => Append(new ReadOnlySpan<char>(in c));

    /// <summary>Removes white space at the end of the field begun last.</summary>
    public void TrimEnd()
    {
        ref (int Start, int Length) field = ref _fields[Count - 1];
        while (field.Length > 0 && char.IsWhiteSpace(_text[field.Start + field.Length - 1]))
        {
            field.Length--;
            _length--;
        }
    }
}

/// <summary>
/// Turns text rows into a <see cref="TernaryDataset"/> as they are read: each row's inputs are parsed at once into one
/// sbyte each (the data set's own form) and its label into the index of a distinct label name, so memory is about the
/// data's own size however large the file. The labels are resolved when all rows are in (which label is positive
/// depends on all of them); every error names the line it comes from.
/// </summary>
internal sealed class TextRows
{
    private readonly TextDataOptions _options;
    private readonly string _format;
    private readonly Chunks<sbyte> _inputs = new();
    private readonly Chunks<int> _labels = new();

    // Distinct label names, in order of first appearance, with the line of their first row; looked up by span so a
    // row's label allocates nothing.
    private readonly Dictionary<string, int> _labelIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _labelLookup;
    private readonly List<string> _labelNames = [];
    private readonly List<int> _labelFirstLines = [];

    // Mapped input tokens (TextDataOptions.InputTokens) met so far: the caller's dictionary is asked once per distinct token.
    private readonly Dictionary<string, sbyte> _tokenCache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, sbyte>.AlternateLookup<ReadOnlySpan<char>> _tokenLookup;

    private int _columns = -1, _labelColumn, _firstLine;
    private (InvalidDataException Error, int Line, string Label)? _possibleHeader;

    public TextRows(TextDataOptions options, string format)
    {
        _options = options;
        _format = format;
        _labelLookup = _labelIndex.GetAlternateLookup<ReadOnlySpan<char>>();
        _tokenLookup = _tokenCache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The rows added so far.</summary>
    public int Count => _labels.Count;

    /// <summary>The distinct labels, each with the line where it first occurs.</summary>
    public IEnumerable<(string Label, int Line)> Labels => _labelNames.Zip(_labelFirstLines);

    /// <summary>Adds one row read from <paramref name="line"/>.</summary>
    /// <exception cref="InvalidDataException">The row has the wrong number of columns or an input that is not ternary.</exception>
    public void Add(RowFields fields, int line)
    {
        if (_columns < 0)
        {
            _columns = fields.Count;
            _firstLine = line;
            _labelColumn = _options.LabelColumn < 0 ? _columns + _options.LabelColumn : _options.LabelColumn;
            if (_columns < 2 || _labelColumn < 0 || _labelColumn >= _columns)
            {
                throw new InvalidDataException($"{_format} line {line}: {_columns} columns; the label column {_options.LabelColumn} does not exist.");
            }
        }
        else if (fields.Count != _columns)
        {
            throw new InvalidDataException($"{_format} line {line}: {fields.Count} columns; the first row has {_columns}.");
        }

        Span<sbyte> inputs = _inputs.Reserve(_columns - 1);
        try
        {
            for (int c = 0, i = 0; c < _columns; c++)
            {
                if (c != _labelColumn)
                {
                    inputs[i++] = ParseInput(fields[c], line, c);
                }
            }
        }
        catch (InvalidDataException e) when (_labels.Count == 0 && _possibleHeader is null && _format == "CSV" && !_options.HasHeader)
        {
            // The first row of a CSV file read without HasHeader may be a header: if the rows after it read well, the
            // error says so (Build); the row itself is not kept.
            _inputs.Unreserve(_columns - 1);
            _possibleHeader = (e, line, fields[_labelColumn].ToString());
            return;
        }

        _labels.Add(LabelIndex(fields[_labelColumn], line));
    }

    /// <summary>Checks the labels against the options and builds the data set.</summary>
    /// <exception cref="InvalidDataException">No rows, or labels that are not binary as the options ask (the message names a line and lists the labels seen).</exception>
    public TernaryDataset Build()
    {
        if (_possibleHeader is { } header)
        {
            throw _labels.Count == 0
                ? header.Error
                : new InvalidDataException($"{header.Error.Message} Line {header.Line} looks like a header ('{header.Label}'): set HasHeader.");
        }

        if (_labels.Count == 0)
        {
            throw new InvalidDataException($"{_format}: the data has no rows.");
        }

        (int positive, string positiveName) = Positive();
        int[] labelIndices = _labels.ToArray();
        byte[] labels = new byte[labelIndices.Length];
        for (int r = 0; r < labels.Length; r++)
        {
            labels[r] = labelIndices[r] == positive ? (byte)1 : (byte)0;
        }

        return new TernaryDataset(_inputs.ToArray(), labels, _columns - 1, positiveName);
    }

    /// <summary>The label that becomes 1: its index among the distinct labels (-1 for 0/1 labels without a 1) and its name.</summary>
    private (int Index, string Name) Positive()
    {
        string seen = SeenLabels();
        if (_options.PositiveLabel is not { } positive)
        {
            // Without a named positive class, labels must be 0/1 already, or exactly two names (the second in ordinal
            // order becomes 1).
            if (_labelNames.All(n => n is "0" or "1"))
            {
                return (_labelNames.IndexOf("1"), "1");
            }

            if (_labelNames.Count == 2)
            {
                string second = _labelNames.Max(StringComparer.Ordinal)!;
                return (_labelNames.IndexOf(second), second);
            }

            string first = _labelNames[0];
            string hint = _format == "CSV" && !_options.HasHeader && Count > 1 && _labelFirstLines[0] == _firstLine &&
                          _labelNames.Skip(1).All(n => n is "0" or "1")
                ? $" Line {_firstLine} looks like a header ('{first}'): set HasHeader."
                : " Name the positive class with PositiveLabel.";
            var sorted = new SortedSet<string>(_labelNames, StringComparer.Ordinal);
            throw new InvalidDataException($"{_format}: labels {string.Join(", ", sorted.Take(5))}{(sorted.Count > 5 ? ", …" : "")} are not binary.{hint}");
        }

        int positiveIndex = _labelNames.IndexOf(positive);
        if (positiveIndex < 0)
        {
            throw Missing("positive", positive, "PositiveLabel", seen);
        }

        if (_options.NegativeLabel is { } negative)
        {
            if (!_labelNames.Contains(negative))
            {
                throw Missing("negative", negative, "NegativeLabel", seen);
            }

            // Both classes named: any other label is an error (a typo would otherwise become a silent negative).
            (string Label, int Line) other = Labels.Where(l => l.Label != positive && l.Label != negative).OrderBy(l => l.Line).FirstOrDefault();
            if (other.Label is not null)
            {
                throw new InvalidDataException($"{_format} line {other.Line}: label '{other.Label}' is neither the positive '{positive}' nor the negative '{negative}'.");
            }
        }
        else if (_labelNames.Count > 2 && !_options.OtherLabelsNegative)
        {
            // More than two labels with only the positive one named: one against the rest must be asked for.
            (string Label, int Line)[] others = [.. Labels.Where(l => l.Label != positive).OrderBy(l => l.Line)];
            throw new InvalidDataException(
                $"{_format} line {others[1].Line}: label '{others[1].Label}' is a third class beside '{positive}' and '{others[0].Label}'; " +
                "set NegativeLabel to reject it, or OtherLabelsNegative = true to train one class against the rest.");
        }

        return (positiveIndex, positive);
    }

    /// <summary>A named label that no row has: every row would silently get the other class.</summary>
    private InvalidDataException Missing(string which, string label, string option, string seen)
    {
        string? differsInCase = _labelNames.FirstOrDefault(n => string.Equals(n, label, StringComparison.OrdinalIgnoreCase));
        return new InvalidDataException(
            $"{_format}: the {which} label '{label}' ({option}) occurs in no row; the labels are {seen}." +
            (differsInCase is null ? "" : $" Labels are compared exactly: did you mean '{differsInCase}'?"));
    }

    private string SeenLabels()
    {
        var sorted = new SortedSet<string>(_labelNames, StringComparer.Ordinal);
        return string.Join(", ", sorted.Take(10).Select(n => $"'{n}'")) + (sorted.Count > 10 ? $" and {sorted.Count - 10} more" : "");
    }

    private int LabelIndex(ReadOnlySpan<char> label, int line)
    {
        if (!_labelLookup.TryGetValue(label, out int index))
        {
            index = _labelNames.Count;
            string name = label.ToString();
            _labelIndex.Add(name, index);
            _labelNames.Add(name);
            _labelFirstLines.Add(line);
        }

        return index;
    }

    private sbyte ParseInput(ReadOnlySpan<char> token, int line, int column)
    {
        if (_options.InputTokens is { } map)
        {
            if (!_tokenLookup.TryGetValue(token, out sbyte mapped))
            {
                string text = token.ToString();
                mapped = map.TryGetValue(text, out sbyte value) && value is >= -1 and <= 1 ? value : sbyte.MinValue;
                _tokenCache.Add(text, mapped);
            }

            return mapped != sbyte.MinValue
                ? mapped
                : throw new InvalidDataException($"{_format} line {line}, column {column + 1}: '{token}' is not one of the mapped tokens ({string.Join(", ", map.Keys)}).");
        }

        // The common tokens first; anything else as the number it spells (so "+1" and "01" read as 1, as before).
        if (token.Length == 1 && token[0] is '0' or '1')
        {
            return (sbyte)(token[0] - '0');
        }

        if (token.Length == 2 && token[0] == '-' && token[1] == '1')
        {
            return -1;
        }

        if (int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number) && number is >= -1 and <= 1)
        {
            return (sbyte)number;
        }

        throw new InvalidDataException($"{_format} line {line}, column {column + 1}: '{token}' is not -1, 0 or 1.");
    }
}

/// <summary>
/// A growing sequence kept in fixed-size chunks (no copy and no doubling while it grows); <see cref="ToArray"/> releases
/// each chunk as soon as it is copied, so the peak is the data once plus one chunk.
/// </summary>
internal sealed class Chunks<T>
    where T : unmanaged
{
    private static readonly int ChunkSize = (1 << 20) / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();   // 1 MB
    private readonly List<T[]> _chunks = [];
    private readonly List<int> _lengths = [];   // the values used in each chunk (rows never straddle chunks)

    /// <summary>The number of values.</summary>
    public int Count { get; private set; }

    public void Add(T value) => Reserve(1)[0] = value;

    /// <summary>Appends <paramref name="length"/> values (at most one chunk) and returns them to be filled.</summary>
    public Span<T> Reserve(int length)
    {
        if (length > ChunkSize)
        {
            throw new InvalidDataException($"A row of {length} values is longer than {ChunkSize}.");
        }

        if (_chunks.Count == 0 || _lengths[^1] + length > ChunkSize)
        {
            _chunks.Add(new T[ChunkSize]);
            _lengths.Add(0);
        }

        Span<T> span = _chunks[^1].AsSpan(_lengths[^1], length);
        _lengths[^1] += length;
        Count += length;
        return span;
    }

    /// <summary>Takes back the last <paramref name="length"/> values reserved.</summary>
    public void Unreserve(int length)
    {
        _lengths[^1] -= length;
        Count -= length;
    }

    /// <summary>All values in one array; the chunks are released as they are copied.</summary>
    public T[] ToArray()
    {
        var all = new T[Count];
        int at = 0;
        for (int k = 0; k < _chunks.Count; k++)
        {
            _chunks[k].AsSpan(0, _lengths[k]).CopyTo(all.AsSpan(at));
            at += _lengths[k];
            _chunks[k] = [];
        }

        return all;
    }
}

/// <summary>
/// Reads lines as spans of one reusable buffer (no string per line): \n, \r\n and \r end a line, as in
/// <see cref="TextReader.ReadLine"/>. A span is valid until the next call.
/// </summary>
internal sealed class LineReader(TextReader reader)
{
    private char[] _buffer = new char[1 << 16];
    private int _start, _end;
    private bool _eof;

    /// <summary>The next line, or false at the end of the text.</summary>
    public bool TryRead(out ReadOnlySpan<char> line)
    {
        int offset = 0;   // characters after _start already scanned without finding a line end
        while (true)
        {
            int found = _buffer.AsSpan(_start + offset, _end - _start - offset).IndexOfAny('\n', '\r');
            if (found >= 0)
            {
                int at = _start + offset + found;
                if (_buffer[at] == '\r' && at + 1 == _end && !_eof)
                {
                    // A '\r' at the end of the buffer: whether '\n' follows is not known yet.
                    offset = at - _start;
                    Fill();
                    continue;
                }

                line = _buffer.AsSpan(_start, at - _start);
                _start = at + (_buffer[at] == '\r' && at + 1 < _end && _buffer[at + 1] == '\n' ? 2 : 1);
                return true;
            }

            if (_eof)
            {
                line = _buffer.AsSpan(_start, _end - _start);
                _start = _end;
                return line.Length > 0;
            }

            offset = _end - _start;
            Fill();
        }
    }

    /// <summary>Moves the unread text to the front (growing the buffer if a line fills it) and reads more.</summary>
    private void Fill()
    {
        int unread = _end - _start;
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, unread);
            _start = 0;
            _end = unread;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read = reader.Read(_buffer, _end, _buffer.Length - _end);
        _end += read;
        _eof = read == 0;
    }
}
