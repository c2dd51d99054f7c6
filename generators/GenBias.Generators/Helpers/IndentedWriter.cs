using System;
using System.Text;

namespace GenBias.Generators.Helpers
{
    /// <summary>Writes C# with four-space indentation; <see cref="Block"/> opens a brace block closed on dispose.</summary>
    internal sealed class IndentedWriter
    {
        private readonly StringBuilder _builder = new StringBuilder();
        private int _depth;

        /// <summary>The current nesting depth (blocks open).</summary>
        public int Depth => _depth;

        /// <summary>The attribute line every generated member carries ([GeneratedCode] with the generator's version).</summary>
        public string? MemberAttribute { get; set; }

        /// <summary>When set, receives the first line of every member declaration written with <see cref="Member"/>.</summary>
        public System.Collections.Generic.List<string>? Declarations { get; set; }

        /// <summary>Writes the first line of a member's declaration, preceded by <see cref="MemberAttribute"/>.</summary>
        public IndentedWriter Member(string declaration)
        {
            if (MemberAttribute != null)
            {
                Line(MemberAttribute);
            }

            Declarations?.Add(declaration);
            return Line(declaration);
        }

        /// <summary>A member declaration (see <see cref="Member"/>) followed by its body's block.</summary>
        public IDisposable MemberBlock(string declaration)
        {
            Member(declaration);
            Line("{");
            _depth++;
            return new Closer(this, "}");
        }

        public IndentedWriter Line(string text = "")
        {
            if (text.Length > 0)
            {
                int indent = _depth * 4;
                foreach (string piece in Wrap(text, MaxLineLength - indent))
                {
                    _builder.Append(' ', indent);
                    _builder.Append(piece);
                    _builder.Append('\n');
                }

                return this;
            }

            _builder.Append('\n');
            return this;
        }

        /// <summary>The longest generated line, indentation included: a screen's width.</summary>
        public const int MaxLineLength = 160;

        /// <summary>
        /// A line cut to fit <paramref name="width"/>: a comment or XML doc line between words, each piece keeping the
        /// comment's prefix; code after a top-level ", " (never inside a string or character literal, never in a trailing
        /// comment), continued four spaces further in. A line with no such place (a long string literal) stays whole.
        /// </summary>
        private static System.Collections.Generic.IEnumerable<string> Wrap(string text, int width)
        {
            if (text.Length <= width || text.StartsWith("#", StringComparison.Ordinal))
            {
                yield return text;
                yield break;
            }

            string trimmed = text.TrimStart();
            if (trimmed.StartsWith("//", StringComparison.Ordinal))
            {
                string prefix = trimmed.StartsWith("///", StringComparison.Ordinal) ? "/// " : "// ";
                string[] words = trimmed.Substring(prefix.Length - 1).Trim().Split(' ');
                var line = new StringBuilder(prefix);
                foreach (string word in words)
                {
                    if (line.Length > prefix.Length && line.Length + 1 + word.Length > width)
                    {
                        yield return line.ToString();
                        line.Clear().Append(prefix);
                    }

                    line.Append(line.Length > prefix.Length ? " " : "").Append(word);
                }

                yield return line.ToString();
                yield break;
            }

            // A trailing comment goes on its own line above the code it explains, where the code then fits.
            int comment = Scan(text, 0).Comment;
            if (comment > 0 && comment <= width)
            {
                string lead = text.Substring(0, text.Length - trimmed.Length);
                yield return lead + text.Substring(comment).Trim();
                text = text.Substring(0, comment).TrimEnd();
                if (text.Length <= width)
                {
                    yield return text;
                    yield break;
                }
            }

            // Continuation lines go four spaces further in than the line's own start.
            string continuation = text.Substring(0, text.Length - text.TrimStart().Length) + "    ";
            string rest = text;
            bool first = true;
            while (true)
            {
                int room = first ? width : width - continuation.Length;
                int cut = rest.Length <= room ? -1 : Scan(rest, room).Break;
                if (cut < 0)
                {
                    yield return first ? rest : continuation + rest;
                    yield break;
                }

                yield return (first ? "" : continuation) + rest.Substring(0, cut + 1);
                rest = rest.Substring(cut + 1).TrimStart(' ');
                first = false;
            }
        }

        /// <summary>
        /// Reads code outside string and character literals: where a trailing // comment starts (or -1), and the last
        /// place before it at which a line of <paramref name="room"/> characters can end (or -1): after ", " (in the
        /// second half of the line, where it reads best), else after a call's opening parenthesis (not a cast's) or an
        /// assignment's " = ", else after any ", ".
        /// </summary>
        private static (int Comment, int Break) Scan(string code, int room)
        {
            int last = -1, lastComma = -1, comment = -1;
            bool inString = false, inChar = false;
            for (int i = 0; i < code.Length - 1; i++)
            {
                char c = code[i];
                if (inString || inChar)
                {
                    if (c == '\\')
                    {
                        i++;
                    }
                    else if ((inString && c == '"') || (inChar && c == '\''))
                    {
                        inString = inChar = false;
                    }

                    continue;
                }

                if (c == '/' && code[i + 1] == '/')
                {
                    comment = i;
                    break;
                }

                inString = c == '"';
                inChar = c == '\'';
                bool call = c == '(' && code[i + 1] != ')' && i > 0 && (char.IsLetterOrDigit(code[i - 1]) || code[i - 1] == '>');
                bool assignment = c == '=' && i > 0 && code[i - 1] == ' ' && code[i + 1] == ' ';
                if (i + 1 <= room)
                {
                    lastComma = c == ',' && code[i + 1] == ' ' ? i : lastComma;
                    last = call || assignment ? i : last;
                }
            }

            return (comment, lastComma >= room / 2 ? lastComma : last >= 0 ? last : lastComma);
        }

        public IDisposable Block(string? header = null, string close = "}")
        {
            if (header != null)
            {
                Line(header);
            }

            Line("{");
            _depth++;
            return new Closer(this, close);
        }

        public override string ToString() => _builder.ToString();

        private sealed class Closer : IDisposable
        {
            private readonly IndentedWriter _writer;
            private readonly string _close;

            public Closer(IndentedWriter writer, string close)
            {
                _writer = writer;
                _close = close;
            }

            public void Dispose()
            {
                _writer._depth--;
                _writer.Line(_close);
            }
        }
    }
}
