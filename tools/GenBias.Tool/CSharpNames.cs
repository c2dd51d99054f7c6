using System;
using System.Collections.Generic;
using System.Globalization;

namespace GenBias.Tool;

/// <summary>
/// Checks the names <c>genbias generate</c> writes into C#: a class name is one identifier, a namespace is identifiers
/// joined by dots. A keyword is accepted only as a verbatim identifier (<c>@class</c>); anything else that would not
/// compile is refused, naming the problem, so the printed declaration always compiles.
/// </summary>
internal static class CSharpNames
{
    /// <summary>C#'s reserved keywords: an identifier only with '@'.</summary>
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    /// <summary>Contextual keywords that a type cannot be named (or that the compiler warns about) without '@'.</summary>
    private static readonly HashSet<string> TypeNameKeywords = new(StringComparer.Ordinal)
    {
        "record", "file", "required", "scoped", "var", "dynamic", "_",
    };

    /// <summary>Returns <paramref name="name"/> if it is a valid class name; otherwise throws, saying why.</summary>
    public static string ClassName(string name)
    {
        CheckIdentifier(name, "--class", typeName: true);
        return name;
    }

    /// <summary>Returns <paramref name="name"/> if it is a valid namespace (dotted identifiers); otherwise throws, saying why.</summary>
    public static string Namespace(string name)
    {
        foreach (string part in name.Split('.'))
        {
            if (part.Length == 0)
            {
                throw new ArgumentException($"--namespace \"{name}\": an empty part between dots; write for example App.Models.");
            }

            CheckIdentifier(part, $"--namespace \"{name}\": the part", typeName: false);
        }

        return name;
    }

    private static void CheckIdentifier(string text, string what, bool typeName)
    {
        bool verbatim = text.StartsWith('@');
        string name = verbatim ? text[1..] : text;
        if (name.Length == 0)
        {
            throw new ArgumentException($"{what} \"{text}\" is empty; give a C# identifier such as TrainedNetwork.");
        }

        for (int i = 0; i < name.Length; i++)
        {
            if (!(i == 0 ? IsStart(name[i]) : IsPart(name[i])))
            {
                throw new ArgumentException(
                    $"{what} \"{text}\" is not a C# identifier: '{name[i]}' (character {i + 1 + (verbatim ? 1 : 0)}) cannot {(i == 0 ? "begin" : "be part of")} a name.");
            }
        }

        if (!verbatim && (Keywords.Contains(name) || (typeName && TypeNameKeywords.Contains(name))))
        {
            throw new ArgumentException($"{what} \"{text}\" is a C# keyword; write @{name} to use it as a name, or choose another.");
        }
    }

    private static bool IsStart(char c) => c == '_' || char.GetUnicodeCategory(c) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or
        UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber;

    private static bool IsPart(char c) => IsStart(c) || char.GetUnicodeCategory(c) is
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.DecimalDigitNumber or
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.Format;
}
