using System;
using System.Text;

namespace GenBias.Generators.Helpers
{
    /// <summary>Writes C# with four-space indentation; <see cref="Block"/> opens a brace block closed on dispose.</summary>
    internal sealed class IndentedWriter
    {
        private readonly StringBuilder _builder = new StringBuilder();
        private int _depth;

        public IndentedWriter Line(string text = "")
        {
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
