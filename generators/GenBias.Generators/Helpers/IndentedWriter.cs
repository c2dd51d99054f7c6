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

        /// <summary>
        /// Where member declarations are written (the type's body), or -1; at that depth, a line that starts a
        /// declaration (an access modifier, or global:: for an explicit interface implementation) is preceded by <see cref="MemberAttribute"/>.
        /// </summary>
        public int MemberDepth { get; set; } = -1;

        /// <summary>The attribute line every generated member carries ([GeneratedCode] with the generator's version).</summary>
        public string? MemberAttribute { get; set; }

        /// <summary>When set, receives the first line of every member declaration written (see <see cref="MemberDepth"/>).</summary>
        public System.Collections.Generic.List<string>? Declarations { get; set; }

        public IndentedWriter Line(string text = "")
        {
            if (_depth == MemberDepth && MemberAttribute != null &&
                (text.StartsWith("public ", StringComparison.Ordinal) || text.StartsWith("private ", StringComparison.Ordinal) ||
                 text.StartsWith("internal ", StringComparison.Ordinal) || text.StartsWith("protected ", StringComparison.Ordinal) ||
                 text.StartsWith("global::", StringComparison.Ordinal)))
            {
                _builder.Append(' ', _depth * 4);
                _builder.Append(MemberAttribute);
                _builder.Append('\n');
                Declarations?.Add(text);
            }

            if (text.Length > 0)
            {
                _builder.Append(' ', _depth * 4);
                _builder.Append(text);
            }

            _builder.Append('\n');
            return this;
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
