using System.Collections.Generic;
using GenBias;

namespace ClassificationStudy;

/// <summary>
/// The UCI tic-tac-toe endgame data, generated from the rules: every legal game, x moving first, played until a
/// line of three or a full board. The 958 distinct final boards, labelled 1 where x has three in a row (626).
/// Squares are x = +1, o = -1, blank = 0, row by row.
/// </summary>
public static class TicTacToe
{
    private static readonly int[][] Lines =
    [
        [0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6],
    ];

    /// <summary>The 958 final boards in a fixed order (the order in which a depth-first game search first reaches them).</summary>
    public static TernaryDataset Endgames()
    {
        var seen = new HashSet<string>();
        var boards = new List<sbyte[]>();
        var labels = new List<int>();
        Play(new sbyte[9], 1, seen, boards, labels);
        return TernaryDataset.FromArrays(boards, labels);
    }

    /// <summary>Whether <paramref name="player"/> (+1 or -1) has three in a row.</summary>
    public static bool Wins(sbyte[] board, int player)
    {
        foreach (int[] line in Lines)
        {
            if (board[line[0]] == player && board[line[1]] == player && board[line[2]] == player)
            {
                return true;
            }
        }

        return false;
    }

    private static void Play(sbyte[] board, sbyte player, HashSet<string> seen, List<sbyte[]> boards, List<int> labels)
    {
        bool xWins = Wins(board, 1), oWins = Wins(board, -1);
        bool full = System.Array.IndexOf(board, (sbyte)0) < 0;
        if (xWins || oWins || full)
        {
            if (seen.Add(string.Join(",", board)))
            {
                boards.Add((sbyte[])board.Clone());
                labels.Add(xWins ? 1 : 0);
            }

            return;
        }

        for (int square = 0; square < 9; square++)
        {
            if (board[square] == 0)
            {
                board[square] = player;
                Play(board, (sbyte)-player, seen, boards, labels);
                board[square] = 0;
            }
        }
    }
}
