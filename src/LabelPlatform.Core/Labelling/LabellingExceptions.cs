namespace LabelPlatform.Core.Labelling;

/// <summary>A request that cannot be carried out as asked (bad image, class or kind); maps to 400 or 404.</summary>
public sealed class LabellingException(string message, int status = 400) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>A reviewer's decision was based on a final label someone else has changed since; maps to 409.</summary>
public sealed class LabelConflictException(string message, FinalLabel? current) : Exception(message)
{
    public FinalLabel? Current { get; } = current;
}
