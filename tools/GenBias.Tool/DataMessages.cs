using System;
using System.IO;
using System.Linq;

namespace GenBias.Tool;

/// <summary>
/// The data reader's messages in the command line's words: the reader names <see cref="TextDataOptions"/> properties
/// (HasHeader, PositiveLabel, …), a user of `genbias train` gives options (--header, --positive, …).
/// </summary>
internal static class DataMessages
{
    /// <summary>Each property's phrase in the reader's messages, and what the command line says instead.</summary>
    private static readonly (string Library, string CommandLine)[] Phrases =
    [
        ("set HasHeader.", "give --header."),
        ("(PositiveLabel)", "(--positive)"),
        ("(NegativeLabel)", "(--negative)"),
        ("Name the positive class with PositiveLabel.", "Name the positive class with --positive."),
        ("set NegativeLabel to reject it, or OtherLabelsNegative = true to train one class against the rest.",
         "give --negative to refuse it, or --rest-negative to train one class against the rest."),
    ];

    /// <summary>Separators a file may use instead of the one given, as --separator takes them.</summary>
    private static readonly (char Separator, string Option)[] OtherSeparators = [(';', "';'"), ('\t', "tab"), ('|', "'|'"), (',', "','")];

    /// <summary>
    /// <paramref name="message"/> with the reader's property names replaced by options; a row of too few columns also
    /// says which separator its first line seems to use, or how --label-column counts.
    /// </summary>
    public static string ForCommandLine(string message, string path, char separator)
    {
        foreach ((string library, string commandLine) in Phrases)
        {
            message = message.Replace(library, commandLine, StringComparison.Ordinal);
        }

        if (!message.Contains(" columns; the label column ", StringComparison.Ordinal))
        {
            return message;
        }

        string? line = FirstLine(path);
        (char Separator, string Option) other = OtherSeparators.FirstOrDefault(o => o.Separator != separator && line?.Contains(o.Separator) == true);
        return other.Option is not null && line?.Contains(separator) != true
            ? $"{message} Its first line holds no '{(separator == '\t' ? "tab" : separator)}' but {other.Option}: give --separator {other.Option}."
            : $"{message} --label-column counts from 0 (the first column); -1, the default, is the last.";
    }

    private static string? FirstLine(string path)
    {
        try
        {
            return File.ReadLines(path).FirstOrDefault(l => !string.IsNullOrWhiteSpace(l));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
