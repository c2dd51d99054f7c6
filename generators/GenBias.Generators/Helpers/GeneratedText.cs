using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace GenBias.Generators.Helpers
{
    /// <summary>
    /// The one place where text of the user's (names, file names) is made safe for the places it goes in generated
    /// code: identifiers, hint names, comments, XML documentation and string literals. Every emitter goes through it,
    /// so a name with '@', '&amp;', a line break or a bidirectional control can neither break nor change the code.
    /// </summary>
    internal static class GeneratedText
    {
        /// <summary>
        /// An identifier as C# source: a keyword or contextual keyword gets the verbatim prefix (<c>@event</c>,
        /// <c>@record</c>), any other name stays as it is.
        /// </summary>
        public static string Identifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
                ? "@" + name
                : name;

        /// <summary>A dotted name (a namespace) with each part escaped like <see cref="Identifier"/>.</summary>
        public static string DottedName(string dotted) => string.Join(".", System.Array.ConvertAll(dotted.Split('.'), Identifier));

        /// <summary>
        /// A hint name for <paramref name="fullName"/> (the type's name with its namespace and containing types, no
        /// '@'): characters the compiler refuses in hint names become '_', and then a hash of the exact name is added so
        /// that two names that differ only in such characters still get two files.
        /// </summary>
        public static string HintName(string fullName)
        {
            var builder = new StringBuilder(fullName.Length + 16);
            bool replaced = false;
            foreach (char c in fullName)
            {
                bool allowed = (c < 128 && (char.IsLetterOrDigit(c) || c == '.' || c == '_' || c == '[' || c == ']' || c == ',' || c == '-'))
                    || (c >= 128 && char.IsLetterOrDigit(c));
                builder.Append(allowed ? c : '_');
                replaced |= !allowed;
            }

            if (replaced)
            {
                builder.Append('-').Append(Hash(fullName));
            }

            return builder.Append(".g.cs").ToString();
        }

        /// <summary>
        /// A hint name that differs from <paramref name="hintName"/> by a hash of the exact (case-sensitive) full name:
        /// hint names must be unique ignoring case, and C# names are not.
        /// </summary>
        public static string DistinctHintName(string hintName, string fullName) =>
            hintName.Substring(0, hintName.Length - ".g.cs".Length) + "-" + Hash(fullName) + ".g.cs";

        /// <summary>
        /// Text for one line of a <c>//</c> comment: line breaks (CR, LF, NEL, LS, PS), other control characters,
        /// format characters (bidirectional overrides) and lone surrogates are written as escapes (<c>\n</c>,
        /// <c>\u202E</c>), so the text cannot end the comment or change how the line reads.
        /// </summary>
        public static string Comment(string text)
        {
            var builder = new StringBuilder(text.Length);
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    builder.Append(c).Append(text[++i]);
                }
                else if (c == '\r')
                {
                    builder.Append("\\r");
                }
                else if (c == '\n')
                {
                    builder.Append("\\n");
                }
                else if (c == '\t')
                {
                    builder.Append("\\t");
                }
                else if (NeedsEscape(c))
                {
                    builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                }
                else
                {
                    builder.Append(c);
                }
            }

            return builder.ToString();
        }

        /// <summary>Text inside an XML documentation comment: <see cref="Comment"/>, then '&amp;', '&lt;', '&gt;' as entities.</summary>
        public static string XmlDoc(string text) =>
            Comment(text).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        /// <summary>A C# string literal (with its quotes) that evaluates to exactly <paramref name="text"/>.</summary>
        public static string StringLiteral(string text)
        {
            var builder = new StringBuilder(text.Length + 2).Append('"');
            foreach (char c in text)
            {
                switch (c)
                {
                    case '"': builder.Append("\\\""); break;
                    case '\\': builder.Append("\\\\"); break;
                    case '\r': builder.Append("\\r"); break;
                    case '\n': builder.Append("\\n"); break;
                    case '\t': builder.Append("\\t"); break;
                    case '\0': builder.Append("\\0"); break;
                    default:
                        // Surrogates are escaped one by one: a lone one is legal in a C# string, not in the UTF-8 file.
                        if (NeedsEscape(c) || char.IsSurrogate(c))
                        {
                            builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            builder.Append(c);
                        }

                        break;
                }
            }

            return builder.Append('"').ToString();
        }

        private static bool NeedsEscape(char c)
        {
            UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(c);
            return category == UnicodeCategory.Control || category == UnicodeCategory.Format || category == UnicodeCategory.Surrogate
                || category == UnicodeCategory.LineSeparator || category == UnicodeCategory.ParagraphSeparator
                || category == UnicodeCategory.PrivateUse || category == UnicodeCategory.OtherNotAssigned;
        }

        /// <summary>A short, stable (FNV-1a) hash of a name, in hex: the same on every machine and run.</summary>
        private static string Hash(string text)
        {
            uint hash = 2166136261;
            foreach (char c in text)
            {
                hash = (hash ^ c) * 16777619;
            }

            return hash.ToString("x8", CultureInfo.InvariantCulture);
        }
    }
}
