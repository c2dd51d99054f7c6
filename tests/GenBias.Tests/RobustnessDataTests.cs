using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// Data readers under misuse and at scale: labels that match no row, memory of large files, line endings, directories,
/// ARFF and CSV quoting, byte-order marks, one-row splits; and the packed form's limits.
/// </summary>
public sealed class RobustnessDataTests : IDisposable
{
    private static readonly Dictionary<string, sbyte> Votes = new() { ["y"] = 1, ["n"] = -1, ["?"] = 0 };

    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-robust-data").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("Yes", "did you mean 'yes'?")]
    [InlineData("cat", "the labels are 'no', 'yes'.")]
    public void A_positive_label_that_matches_no_row_is_an_error_listing_the_labels(string positive, string message)
    {
        const string csv = "1,0,yes\n0,1,no\n1,1,no\n";
        var error = Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(new StringReader(csv), new TextDataOptions { PositiveLabel = positive }));
        Assert.Contains($"the positive label '{positive}' (PositiveLabel) occurs in no row; the labels are 'no', 'yes'", error.Message);
        Assert.Contains(message, error.Message);

        // The same with both classes named, one against the rest, and a negative label that is missing.
        Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(new StringReader(csv), new TextDataOptions { PositiveLabel = positive, NegativeLabel = "no" }));
        Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(new StringReader(csv), new TextDataOptions { PositiveLabel = positive, OtherLabelsNegative = true }));
        Assert.Contains("the negative label 'No' (NegativeLabel) occurs in no row",
            Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(new StringReader(csv), new TextDataOptions { PositiveLabel = "yes", NegativeLabel = "No" })).Message);

        // ARFF: the declared classes are {democrat, republican}; "Democrat" differs in case.
        const string arff = "@relation r\n@attribute a {y,n}\n@attribute class {democrat, republican}\n@data\ny,democrat\nn,republican\n";
        var arffError = Assert.Throws<InvalidDataException>(() =>
            TernaryDataset.FromArff(new StringReader(arff), new TextDataOptions { InputTokens = Votes, PositiveLabel = "Democrat" }));
        Assert.Contains("the positive label 'Democrat' (PositiveLabel) occurs in no row; the labels are 'democrat', 'republican'. Labels are compared exactly: did you mean 'democrat'?", arffError.Message);

        // A label that exists still loads.
        Assert.Equal(1, TernaryDataset.FromCsv(new StringReader(csv), new TextDataOptions { PositiveLabel = "yes" }).PositiveCount);
    }

    [Fact]
    public void Csv_is_streamed_into_about_one_byte_per_input()
    {
        // 20,000 rows of 25 inputs: 500,000 inputs. Kept as strings (one per field, as before) this allocated over 40 MB;
        // streamed, the chunks and the final array are about two bytes per input.
        const int rows = 20_000, width = 25;
        var random = new Random(5);
        var text = new StringBuilder("x\n");
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < width; i++)
            {
                text.Append(random.Next(-1, 2)).Append(',');
            }

            text.Append(random.Next(2) == 0 ? "yes\n" : "no\n");
        }

        string csv = text.ToString();
        var options = new TextDataOptions { HasHeader = true, PositiveLabel = "yes" };
        TernaryDataset.FromCsv(new StringReader(csv), options); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        TernaryDataset data = TernaryDataset.FromCsv(new StringReader(csv), options);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((rows, width), (data.Count, data.InputCount));
        long own = (long)rows * width + rows;   // inputs and labels
        Assert.True(allocated < (4 * own) + (3 << 20), $"reading {own:N0} bytes of data allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Csv_line_endings_and_long_lines_read_as_ReadLine_reads_them()
    {
        // \n, \r\n and \r end lines; a line longer than the reader's buffer; a '\r' that falls at the buffer's end.
        string wide = string.Join(",", Enumerable.Repeat("1", 40_000)) + ",yes";
        string header = new('h', (1 << 16) - 1);   // the header's '\r' is the buffer's last character
        string csv = header + "\r\n" + "1,0,1,no\r" + "0,0,0,yes\n" + "1,1,1,no\r\n" + "1,1,bad,no\n";
        var error = Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(new StringReader(csv), new TextDataOptions { HasHeader = true }));
        Assert.Contains("CSV line 5, column 3: 'bad'", error.Message);

        TernaryDataset data = TernaryDataset.FromCsv(new StringReader(header + "\r\n1,0,1,no\r0,0,0,yes\n1,1,1,no\r\n\r\n"), new TextDataOptions { HasHeader = true });
        Assert.Equal(new sbyte[] { 1, 0, 1, 0, 0, 0, 1, 1, 1 }, data.Inputs.ToArray());
        Assert.Equal(new byte[] { 0, 1, 0 }, data.Labels.ToArray());

        TernaryDataset one = TernaryDataset.FromCsv(new StringReader(wide + "\r\n" + wide.Replace("yes", "no")), new TextDataOptions());
        Assert.Equal((2, 40_000), (one.Count, one.InputCount));
    }

    [Fact]
    public void A_directory_given_as_a_data_file_is_named_as_a_directory()
    {
        Assert.Equal($"{_folder} is a directory, not a data file.",
            Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(_folder, new TextDataOptions())).Message);
        Assert.Equal($"{_folder} is a directory, not a data file.",
            Assert.Throws<InvalidDataException>(() => TernaryDataset.FromArff(_folder, new TextDataOptions())).Message);
    }

    [Fact]
    public void Split_of_a_single_row_says_why_it_cannot()
    {
        TernaryDataset one = TernaryDataset.FromArrays([new sbyte[] { 1, 0 }], [1]);
        var error = Assert.Throws<InvalidOperationException>(() => one.Split(0.8, 1));
        Assert.Equal("A data set of 1 row cannot be split: each part needs at least one row.", error.Message);
        (TernaryDataset first, TernaryDataset second) = TernaryDataset.FromArrays([new sbyte[] { 1 }, new sbyte[] { 0 }], [1, 0]).Split(0.99, 1);
        Assert.Equal((1, 1), (first.Count, second.Count));
    }

    [Fact]
    public void Arff_quoted_values_with_commas_and_inline_comments_are_read()
    {
        const string arff = """
            % a comment line
            @relation 'votes, 1984'   % the relation
            @attribute 'a {odd}' {y, n}
            @attribute b {'y', 'n'}
            @attribute class {'party, left', "party, right"}   % quoted classes with commas
            @data
            y, n, 'party, left'    % an inline comment
            n,'y',"party, right"
            % a comment between rows
            ?, n, 'party, left' %
            'n', y, 'party\, right'
            """;
        TernaryDataset data = TernaryDataset.FromArff(new StringReader(arff), new TextDataOptions { InputTokens = Votes, PositiveLabel = "party, right" });
        Assert.Equal(new sbyte[] { 1, -1, -1, 1, 0, -1, -1, 1 }, data.Inputs.ToArray());
        Assert.Equal(new byte[] { 0, 1, 0, 1 }, data.Labels.ToArray());
        Assert.Equal("party, right", data.PositiveLabelName);
    }

    [Fact]
    public void Arff_sparse_rows_and_unclosed_quotes_are_refused_naming_the_line()
    {
        const string header = "@relation r\n@attribute a {y,n}\n@attribute class {x,z}\n@data\ny,x\n";
        var sparse = Assert.Throws<InvalidDataException>(() =>
            TernaryDataset.FromArff(new StringReader(header + "{0 n, 1 z}\n"), new TextDataOptions { InputTokens = Votes }));
        Assert.Equal("ARFF line 6: sparse rows ({index value, …}) are not supported; write every value of the row.", sparse.Message);

        var quote = Assert.Throws<InvalidDataException>(() =>
            TernaryDataset.FromArff(new StringReader(header + "n,'z\n"), new TextDataOptions { InputTokens = Votes }));
        Assert.Contains("ARFF line 6, value 2: the quote opened at character 3 is not closed", quote.Message);
    }

    [Fact]
    public void Csv_quoted_fields_with_a_line_break_are_refused_naming_the_line()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            TernaryDataset.FromCsv(new StringReader("1,0,\"yes\"\n1,1,\"no\nway\"\n0,0,no\n"), new TextDataOptions()));
        Assert.Equal("CSV line 2, column 3: the quote opened at character 5 is not closed on its line (a quoted field cannot hold a line break).", error.Message);
    }

    [Fact]
    public void A_byte_order_mark_at_the_start_of_a_reader_is_skipped()
    {
        TernaryDataset csv = TernaryDataset.FromCsv(new StringReader("\uFEFF1,0,1\n-1,1,0\n"), new TextDataOptions());
        Assert.Equal(new sbyte[] { 1, 0, -1, 1 }, csv.Inputs.ToArray());
        TernaryDataset header = TernaryDataset.FromCsv(new StringReader("\uFEFFa,b,label\n1,0,1\n-1,1,0\n"), new TextDataOptions { HasHeader = true });
        Assert.Equal(2, header.Count);
        TernaryDataset arff = TernaryDataset.FromArff(new StringReader("\uFEFF@relation r\n@attribute a {y,n}\n@attribute c {x,z}\n@data\ny,x\nn,z\n"),
            new TextDataOptions { InputTokens = Votes });
        Assert.Equal(new sbyte[] { 1, -1 }, arff.Inputs.ToArray());

        // From a file with a BOM too (the stream reader's own detection).
        string path = Path.Combine(_folder, "bom.csv");
        File.WriteAllText(path, "1,0,1\n-1,1,0\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(2, TernaryDataset.FromCsv(path, new TextDataOptions()).Count);
    }

    [Fact]
    public void Unpack_refuses_more_than_64_inputs_and_overlapping_masks()
    {
        sbyte[] destination = new sbyte[104];
        var count = Assert.Throws<ArgumentOutOfRangeException>(() => TernaryInput.Unpack(1, 0, 100, destination));
        Assert.Contains("The packed form holds 0 to 64 inputs", count.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TernaryInput.Unpack(0, 0, -1, destination));

        var overlap = Assert.Throws<ArgumentException>(() => TernaryInput.Unpack(0b101, 0b100, 8, destination));
        Assert.Contains("Input 2 is set in both the positive and the negative mask", overlap.Message);
        var beyond = Assert.Throws<ArgumentException>(() => TernaryInput.Unpack(1UL << 9, 0, 8, destination));
        Assert.Contains("Bit 9 is set, but the network has only 8 inputs", beyond.Message);

        TernaryInput.Unpack(0b0011, 0b1100, 64, destination);
        Assert.Equal(new sbyte[] { 1, 1, -1, -1, 0 }, destination[..5]);
        TernaryInput.Unpack(ulong.MaxValue, 0, 64, destination);
        Assert.All(destination[..64], v => Assert.Equal(1, v));
    }
}
