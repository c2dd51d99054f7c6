using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace GenBias;

public sealed partial class TernaryDataset
{
    /// <summary>
    /// Reads ARFF (Weka): nominal attributes, the class attribute last unless <see cref="TextDataOptions.LabelColumn"/>
    /// says otherwise. Values map through <see cref="TextDataOptions.InputTokens"/> (for vote.arff: y=+1, n=-1, ?=0).
    /// Values may be quoted with ' or " (a quoted value may hold commas; \ escapes a quote inside); % begins a comment
    /// anywhere outside quotes. Sparse rows ({index value, …}) are refused with an error naming their line.
    /// </summary>
    /// <exception cref="InvalidDataException">A malformed line: the message gives its number and what is wrong.</exception>
    public static TernaryDataset FromArff(TextReader reader, TextDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(options);
        var rows = new TextRows(options, "ARFF");
        var fields = new RowFields();
        var declared = new List<string[]?>();   // per attribute: its nominal values, if declared as {a, b, …}
        int lineNumber = 0;
        bool inData = false;
        var lines = new LineReader(reader);
        while (lines.TryRead(out ReadOnlySpan<char> line))
        {
            lineNumber++;
            ReadOnlySpan<char> text = (lineNumber == 1 ? WithoutByteOrderMark(line) : line).Trim();
            if (text.Length == 0 || text[0] == '%')
            {
                continue;
            }

            if (!inData)
            {
                if (text.StartsWith("@attribute", StringComparison.OrdinalIgnoreCase))
                {
                    declared.Add(NominalValues(text["@attribute".Length..], lineNumber, fields));
                }
                else if (text.StartsWith("@data", StringComparison.OrdinalIgnoreCase))
                {
                    inData = true;
                }

                continue;
            }

            if (text[0] == '{')
            {
                throw new InvalidDataException($"ARFF line {lineNumber}: sparse rows ({{index value, …}}) are not supported; write every value of the row.");
            }

            SplitArffValues(text, lineNumber, fields);
            if (fields.Count == 0)
            {
                continue; // a line holding only a comment
            }

            if (fields.Count != declared.Count)
            {
                throw new InvalidDataException($"ARFF line {lineNumber}: {fields.Count} values, but the header declares {declared.Count} attributes.");
            }

            rows.Add(fields, lineNumber);
        }

        if (!inData)
        {
            throw new InvalidDataException("ARFF: no @data section.");
        }

        // The class attribute's declared values are the only labels allowed.
        int labelColumn = options.LabelColumn < 0 ? declared.Count + options.LabelColumn : options.LabelColumn;
        if (labelColumn >= 0 && labelColumn < declared.Count && declared[labelColumn] is { } classes)
        {
            (string Label, int Line) undeclared = rows.Labels.Where(l => !classes.Contains(l.Label, StringComparer.Ordinal)).OrderBy(l => l.Line).FirstOrDefault();
            if (undeclared.Label is not null)
            {
                throw new InvalidDataException($"ARFF line {undeclared.Line}: class '{undeclared.Label}' is not one of the declared values {{{string.Join(", ", classes)}}}.");
            }
        }

        return rows.Build();
    }

    /// <summary>Reads ARFF from a file (see <see cref="FromArff(TextReader, TextDataOptions)"/>).</summary>
    /// <exception cref="InvalidDataException">A malformed line (the message starts with the path), or the path is a directory.</exception>
    public static TernaryDataset FromArff(string path, TextDataOptions options) => FromFile(path, options, FromArff);

    /// <summary>The values of "name {a, b, …}" after @attribute, or null for another type (numeric, string, …).</summary>
    private static string[]? NominalValues(ReadOnlySpan<char> declaration, int lineNumber, RowFields fields)
    {
        // Skip the attribute's name, which may be quoted and hold braces.
        ReadOnlySpan<char> rest = declaration.TrimStart();
        if (rest.Length > 0 && rest[0] is '\'' or '"')
        {
            int close = rest[1..].IndexOf(rest[0]);
            rest = close < 0 ? [] : rest[(close + 2)..];
        }
        else
        {
            int end = rest.IndexOfAny(' ', '\t', '{');
            rest = end < 0 ? [] : rest[end..];
        }

        rest = rest.Trim();
        if (rest.Length == 0 || rest[0] != '{')
        {
            return null;
        }

        int last = rest.LastIndexOf('}');
        if (last < 0)
        {
            throw new InvalidDataException($"ARFF line {lineNumber}: the nominal values' '{{' is not closed by '}}'.");
        }

        SplitArffValues(rest[1..last], lineNumber, fields);
        string[] values = new string[fields.Count];
        for (int k = 0; k < values.Length; k++)
        {
            values[k] = fields[k].ToString();
        }

        return values;
    }

    /// <summary>
    /// Comma-separated ARFF values into trimmed fields: quoted values ('a, b' or "a, b", \ escaping a character inside)
    /// lose their quotes; % outside quotes ends the line. Nothing but a comment gives no fields.
    /// </summary>
    private static void SplitArffValues(ReadOnlySpan<char> line, int lineNumber, RowFields fields)
    {
        fields.Clear();
        int i = 0;
        while (true)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i]))
            {
                i++;
            }

            if (i >= line.Length || line[i] == '%')
            {
                if (fields.Count > 0)
                {
                    fields.Begin(); // "a, b, " or "a, b, % note": an empty last value (the count check names the line)
                }

                return;
            }

            fields.Begin();
            if (line[i] is '\'' or '"')
            {
                char quote = line[i];
                int open = i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new InvalidDataException($"ARFF line {lineNumber}, value {fields.Count}: the quote opened at character {open + 1} is not closed.");
                    }

                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        fields.Append(line[i + 1]);
                        i += 2;
                    }
                    else if (line[i] == quote)
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        fields.Append(line[i++]);
                    }
                }

                while (i < line.Length && line[i] is not ',' and not '%')
                {
                    if (!char.IsWhiteSpace(line[i]))
                    {
                        throw new InvalidDataException($"ARFF line {lineNumber}, value {fields.Count}: text after the closing quote.");
                    }

                    i++;
                }
            }
            else
            {
                int end = line[i..].IndexOfAny(',', '%');
                end = end < 0 ? line.Length : i + end;
                fields.Append(line[i..end]);
                fields.TrimEnd();
                i = end;
            }

            if (i >= line.Length || line[i] == '%')
            {
                return;
            }

            i++; // the comma
        }
    }
}
