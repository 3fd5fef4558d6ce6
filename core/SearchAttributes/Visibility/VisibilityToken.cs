namespace DurableWorkflow.Core.SearchAttributes.Visibility;

public enum VisibilityTokenKind
{
    Identifier,
    String,
    Number,
    Operator,
    And,
    Or,
    Not,
    In,
    OpenParen,
    CloseParen,
    Comma,
    End,
}

/// <summary>One lexeme of a visibility query; <see cref="Text"/> is the decoded value for strings, <see cref="Position"/> its 0-based offset.</summary>
public readonly record struct VisibilityToken(VisibilityTokenKind Kind, string Text, int Position);
