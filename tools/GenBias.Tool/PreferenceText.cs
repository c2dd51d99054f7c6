using System;
using System.Globalization;

namespace GenBias.Tool;

/// <summary>Preferences as text: "output &gt; 0.5 at-least 0.6", "layer 0 neuron 3 &lt; 0 at-most 0.2", "layer 0 all &gt; 0 about 0.5 ± 0.05".</summary>
internal static class PreferenceText
{
    public static Preference Parse(string text)
    {
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int at = 0;
        int layer = -1;
        int? neuron = 0;
        string Next(string what) => at < words.Length ? words[at++] : throw Error(text, $"expected {what}");
        double Number(string what)
        {
            string word = Next(what);
            return double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
                ? v
                : throw Error(text, $"{what} '{word}' is not a finite number");
        }

        // A layer or neuron is an index: "0.7" or "NaN" must not become 0.
        int Index(string what)
        {
            string word = Next(what);
            return int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
                ? v
                : throw Error(text, $"{what} '{word}' is not a whole number 0, 1, 2, …");
        }

        string who = Next("'output' or 'layer N'");
        if (who == "layer")
        {
            layer = Index("the layer");
            if (at < words.Length && words[at] == "all")
            {
                neuron = null;
                at++;
            }
            else if (at < words.Length && words[at] == "neuron")
            {
                at++;
                neuron = Index("the neuron");
            }
        }
        else if (who != "output")
        {
            throw Error(text, $"'{who}' is neither 'output' nor 'layer N'");
        }

        ActivationInterval interval = Next("'>', '<' or 'in'") switch
        {
            ">" => ActivationInterval.Above(Number("the threshold")),
            "<" => ActivationInterval.Below(Number("the threshold")),
            "in" => ActivationInterval.Between(Number("the lower end"), Number("the upper end")),
            string other => throw Error(text, $"'{other}' is not '>', '<' or 'in'"),
        };
        PreferenceRelation relation = Next("'at-least', 'at-most' or 'about'") switch
        {
            "at-least" => PreferenceRelation.AtLeast,
            "at-most" => PreferenceRelation.AtMost,
            "about" => PreferenceRelation.About,
            string other => throw Error(text, $"'{other}' is not 'at-least', 'at-most' or 'about'"),
        };
        double target = Number("the fraction");
        double tolerance = 0.01;
        if (at < words.Length && words[at] is "±" or "+-")
        {
            at++;
            tolerance = Number("the tolerance");
        }

        if (at < words.Length)
        {
            throw Error(text, $"unexpected '{words[at]}'");
        }

        return new Preference { Layer = layer, Neuron = neuron, Interval = interval, Relation = relation, Target = target, Tolerance = tolerance };
    }

    private static ArgumentException Error(string text, string problem) =>
        new($"preference \"{text}\": {problem} (write for example \"output > 0.5 at-least 0.6\").");
}
