// This file is compiled into both the runtime (GenBias) and the source generator (GenBias.Generators, as a linked
// file): model files are read by one JSON reader and one set of rules wherever they are read. It must stay valid C#
// for netstandard2.0.
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace GenBias.Serialization
{
    /// <summary>A JSON value with the line and column (1-based) where it starts, for diagnostics that point into the file.</summary>
    internal sealed class JsonValue
    {
        public JsonValue(JsonKind kind, int line, int column)
        {
            Kind = kind;
            Line = line;
            Column = column;
        }

        public JsonKind Kind { get; }

        public int Line { get; }

        public int Column { get; }

        /// <summary>A string's text, or a number's text as written.</summary>
        public string Text { get; set; } = "";

        public bool Boolean { get; set; }

        public List<JsonValue> Items { get; } = new List<JsonValue>();

        public List<KeyValuePair<string, JsonValue>> Members { get; } = new List<KeyValuePair<string, JsonValue>>();

        public string Where => $"line {Line}, position {Column}";

        public JsonValue? this[string name]
        {
            get
            {
                foreach (KeyValuePair<string, JsonValue> member in Members)
                {
                    if (member.Key == name)
                    {
                        return member.Value;
                    }
                }

                return null;
            }
        }
    }

    internal enum JsonKind
    {
        Null,
        Boolean,
        Number,
        String,
        Array,
        Object,
    }

    /// <summary>A JSON syntax error at a line and position.</summary>
    internal sealed class JsonError : System.Exception
    {
        public JsonError(string message, int line, int column)
            : base(message)
        {
            Line = line;
            Column = column;
        }

        public int Line { get; }

        public int Column { get; }
    }

    /// <summary>
    /// A small strict JSON reader (RFC 8259, no comments, no trailing commas, no duplicate property names; a leading
    /// UTF-8 byte order mark is skipped) for model files, shared with the generator, which cannot depend on
    /// System.Text.Json. Every value keeps its position; errors say where.
    /// </summary>
    internal sealed class JsonReader
    {
        private const int MaxDepth = 64;
        private readonly string _text;
        private int _position;
        private int _line = 1;
        private int _lineStart;

        private JsonReader(string text)
        {
            _text = text;
        }

        /// <exception cref="JsonError">The text is not one well-formed JSON value.</exception>
        public static JsonValue Parse(string text)
        {
            var reader = new JsonReader(text);
            if (reader._text.Length > 0 && reader._text[0] == '\uFEFF')
            {
                reader._position = 1;
                reader._lineStart = 1;
            }

            JsonValue value = reader.Value(0);
            reader.SkipSpace();
            if (reader._position < reader._text.Length)
            {
                throw reader.Error("unexpected text after the end of the JSON value");
            }

            return value;
        }

        private int Column => _position - _lineStart + 1;

        private JsonError Error(string message) => new JsonError(message, _line, Column);

        private void SkipSpace()
        {
            while (_position < _text.Length)
            {
                char c = _text[_position];
                if (c == '\n')
                {
                    _line++;
                    _lineStart = _position + 1;
                }
                else if (c != ' ' && c != '\t' && c != '\r')
                {
                    return;
                }

                _position++;
            }
        }

        private JsonValue Value(int depth)
        {
            SkipSpace();
            if (_position >= _text.Length)
            {
                throw Error("the file ends where a value was expected");
            }

            if (depth > MaxDepth)
            {
                throw Error($"values are nested more than {MaxDepth} deep");
            }

            char c = _text[_position];
            switch (c)
            {
                case '{':
                    return Object(depth);
                case '[':
                    return Array(depth);
                case '"':
                {
                    var value = new JsonValue(JsonKind.String, _line, Column);
                    value.Text = String();
                    return value;
                }

                case 't':
                case 'f':
                case 'n':
                    return Literal();
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        return Number();
                    }

                    throw Error($"unexpected character '{c}'");
            }
        }

        private JsonValue Object(int depth)
        {
            var value = new JsonValue(JsonKind.Object, _line, Column);
            _position++;
            SkipSpace();
            if (Peek() == '}')
            {
                _position++;
                return value;
            }

            while (true)
            {
                SkipSpace();
                if (Peek() != '"')
                {
                    throw Error(_position >= _text.Length ? "the file ends inside an object" : "expected a property name in double quotes");
                }

                int line = _line, column = Column;
                string name = String();
                if (value[name] != null)
                {
                    throw new JsonError($"the property '{name}' appears twice", line, column);
                }

                SkipSpace();
                if (Peek() != ':')
                {
                    throw Error($"expected ':' after the property name '{name}'");
                }

                _position++;
                value.Members.Add(new KeyValuePair<string, JsonValue>(name, Value(depth + 1)));
                SkipSpace();
                char next = Peek();
                _position++;
                if (next == '}')
                {
                    return value;
                }

                if (next != ',')
                {
                    _position--;
                    throw Error(_position >= _text.Length ? "the file ends inside an object" : "expected ',' or '}' in an object");
                }
            }
        }

        private JsonValue Array(int depth)
        {
            var value = new JsonValue(JsonKind.Array, _line, Column);
            _position++;
            SkipSpace();
            if (Peek() == ']')
            {
                _position++;
                return value;
            }

            while (true)
            {
                value.Items.Add(Value(depth + 1));
                SkipSpace();
                char next = Peek();
                _position++;
                if (next == ']')
                {
                    return value;
                }

                if (next != ',')
                {
                    _position--;
                    throw Error(_position >= _text.Length ? "the file ends inside an array" : "expected ',' or ']' in an array");
                }
            }
        }

        private char Peek() => _position < _text.Length ? _text[_position] : '\0';

        private string String()
        {
            _position++;
            var builder = new StringBuilder();
            while (true)
            {
                if (_position >= _text.Length)
                {
                    throw Error("the file ends inside a string");
                }

                char c = _text[_position++];
                if (c == '"')
                {
                    return builder.ToString();
                }

                if (c < ' ')
                {
                    _position--;
                    throw Error("a control character inside a string (escape it)");
                }

                if (c != '\\')
                {
                    builder.Append(c);
                    continue;
                }

                char e = Peek();
                _position++;
                switch (e)
                {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u':
                        if (_position + 4 > _text.Length ||
                            !int.TryParse(_text.Substring(_position, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                        {
                            throw Error("\\u must be followed by four hexadecimal digits");
                        }

                        builder.Append((char)code);
                        _position += 4;
                        break;
                    default:
                        _position--;
                        throw Error($"unknown escape '\\{e}'");
                }
            }
        }

        private JsonValue Literal()
        {
            var value = new JsonValue(JsonKind.Null, _line, Column);
            foreach ((string word, JsonKind kind, bool flag) in new[] { ("true", JsonKind.Boolean, true), ("false", JsonKind.Boolean, false), ("null", JsonKind.Null, false) })
            {
                if (string.CompareOrdinal(_text, _position, word, 0, word.Length) == 0)
                {
                    _position += word.Length;
                    var result = new JsonValue(kind, value.Line, value.Column) { Boolean = flag };
                    return result;
                }
            }

            throw Error("unexpected word (expected true, false or null)");
        }

        private JsonValue Number()
        {
            var value = new JsonValue(JsonKind.Number, _line, Column);
            int start = _position;
            if (Peek() == '-')
            {
                _position++;
            }

            if (Peek() == '0')
            {
                _position++;
            }
            else if (!Digits())
            {
                throw Error("a number needs digits");
            }

            if (Peek() == '.')
            {
                _position++;
                if (!Digits())
                {
                    throw Error("a number needs digits after the decimal point");
                }
            }

            if (Peek() == 'e' || Peek() == 'E')
            {
                _position++;
                if (Peek() == '+' || Peek() == '-')
                {
                    _position++;
                }

                if (!Digits())
                {
                    throw Error("a number needs digits in its exponent");
                }
            }

            value.Text = _text.Substring(start, _position - start);
            return value;
        }

        private bool Digits()
        {
            int start = _position;
            while (_position < _text.Length && _text[_position] >= '0' && _text[_position] <= '9')
            {
                _position++;
            }

            return _position > start;
        }
    }
}
