using System;
using System.IO;
using Xunit;

namespace GenBias.Tests.Coverage;

/// <summary>The certificate's method is an enum in the API and the same words as ever in the file.</summary>
public class CertificateMethodTests
{
    [Theory]
    [InlineData(CountMethod.MeetInTheMiddle, "meet in the middle")]
    [InlineData(CountMethod.Enumeration, "enumeration")]
    [InlineData(CountMethod.Estimate, "estimate (Clopper–Pearson)")]
    public void The_method_is_written_in_words_and_read_back(CountMethod method, string words)
    {
        // An estimate's interval is the Clopper–Pearson interval of its count (Load checks it).
        RateInterval interval = method == CountMethod.Estimate ? ClopperPearson.Interval(6, 10, 0.99) : new RateInterval(6, 10, 1, 0.6, 0.6);
        var certificate = new Certificate
        {
            NetworkHash = "0123456789abcdef", Shape = "25 → Dense(1, Tanh)", Preference = "output > 0.5 on at least 60.0 % of the cube",
            Exact = method != CountMethod.Estimate, Method = method, Count = 6, Total = 10, Lower = interval.Lower, Upper = interval.Upper, Met = true, Seconds = 0.01,
            Confidence = method == CountMethod.Estimate ? 0.99 : null,
        };
        string path = Path.Combine(Path.GetTempPath(), $"genbias-method-{Guid.NewGuid():N}.certificate.json");
        try
        {
            certificate.Save(path);
            Assert.Contains($"\"method\": \"{words}\"", File.ReadAllText(path));
            Assert.Equal(method, Certificate.Load(path).Method);
            Assert.Contains(words, certificate.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_unknown_method_in_a_file_is_an_error_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"genbias-method-{Guid.NewGuid():N}.certificate.json");
        try
        {
            File.WriteAllText(path, """
                { "networkHash": "0123456789abcdef", "shape": "s", "preference": "p", "exact": true, "method": "guessing",
                  "count": 1, "total": 2, "lower": 0.5, "upper": 0.5, "met": true, "seconds": 0 }
                """);
            Assert.Contains(path, Assert.Throws<InvalidDataException>(() => Certificate.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
