using System;
using System.IO;

namespace GenBias;

public sealed partial class TernaryDataset
{
    /// <summary>
    /// Reads CSV: one row per line, the inputs then the label (or the label first, see <paramref name="options"/>).
    /// Input tokens are -1/0/1 unless <see cref="TextDataOptions.InputTokens"/> maps them (for example y/n/?). A field
    /// may be quoted ("a,b", with "" for a quote inside) but may not hold a line break. A byte-order mark at the start is
    /// skipped. Rows are parsed as they are read, so memory is about one byte per input.
    /// </summary>
    /// <exception cref="InvalidDataException">A malformed line: the message gives its number and what is wrong.</exception>
    public static TernaryDataset FromCsv(TextReader reader, TextDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        var rows = new TextRows(options, "CSV");
        var fields = new RowFields();
        int lineNumber = 0;
        bool headerSkipped = !options.HasHeader;
        var lines = new LineReader(reader);
        while (lines.TryRead(out ReadOnlySpan<char> line))
        {
            lineNumber++;
            ReadOnlySpan<char> text = lineNumber == 1 ? WithoutByteOrderMark(line) : line;
            if (text.IsWhiteSpace())
            {
                continue;
            }

            if (!headerSkipped)
            {
                // The header is the first line that is not blank.
                headerSkipped = true;
                continue;
            }

            SplitCsvLine(text, options.Separator, lineNumber, fields);
            rows.Add(fields, lineNumber);
        }

        return rows.Build();
    }

    /// <summary>Reads CSV from a file (see <see cref="FromCsv(TextReader, TextDataOptions)"/>).</summary>
    /// <exception cref="InvalidDataException">A malformed line (the message starts with the path), or the path is a directory.</exception>
    public static TernaryDataset FromCsv(string path, TextDataOptions options) => FromFile(path, options, FromCsv);

    /// <summary>
    /// One CSV line into trimmed fields: a field may be quoted ("a,b"), with "" for a quote inside; an unclosed quote
    /// is an error naming the line (a quoted field cannot continue on the next line).
    /// </summary>
    private static void SplitCsvLine(ReadOnlySpan<char> line, char separator, int lineNumber, RowFields fields)
    {
        fields.Clear();
        int i = 0;
        while (true)
        {
            fields.Begin();
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
                        throw new InvalidDataException(
                            $"CSV line {lineNumber}, column {fields.Count}: the quote opened at character {open + 1} is not closed on its line " +
                            "(a quoted field cannot hold a line break).");
                    }

                    int quote = line[i..].IndexOf('"');
                    if (quote < 0)
                    {
                        fields.Append(line[i..]);
                        i = line.Length;
                        continue;
                    }

                    fields.Append(line.Slice(i, quote));
                    i += quote;
                    if (i + 1 < line.Length && line[i + 1] == '"')
                    {
                        fields.Append('"');
                        i += 2;
                        continue;
                    }

                    i++;
                    break;
                }

                while (i < line.Length && line[i] != separator)
                {
                    if (!char.IsWhiteSpace(line[i]))
                    {
                        throw new InvalidDataException($"CSV line {lineNumber}, column {fields.Count}: text after the closing quote.");
                    }

                    i++;
                }
            }
            else
            {
                int end = line[i..].IndexOf(separator);
                end = end < 0 ? line.Length : i + end;
                fields.Append(line[i..end].Trim());
                i = end;
            }

            if (i >= line.Length)
            {
                return;
            }

            i++; // the separator
        }
    }

    /// <summary>A first line without the byte-order mark a TextReader over raw text may still hold.</summary>
    private static ReadOnlySpan<char> WithoutByteOrderMark(ReadOnlySpan<char> line) =>
        line.StartsWith('\uFEFF') ? line[1..] : line;

    private static TernaryDataset FromFile(string path, TextDataOptions options, Func<TextReader, TextDataOptions, TernaryDataset> read)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path} is a directory, not a data file.");
        }

        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        try
        {
            return read(reader, options);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
