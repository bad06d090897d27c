using LabelPlatform.Core.Settings;
using LabelPlatform.Core.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Embeddings;

public static class EmbeddingsServiceCollectionExtensions
{
    /// <summary>"Embeddings": registered models, ONNX Runtime sessions and embedding runs.</summary>
    public static IServiceCollection AddEmbeddings(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<EmbeddingOptions>(configuration, EmbeddingOptions.Section);
        services.AddSingleton<ImagePreprocessor>();
        services.AddSingleton<OnnxEmbedder>();
        services.AddSection<QueryBatchingOptions>(configuration, QueryBatchingOptions.Section);
        services.AddSingleton<QueryBatcher>();
        services.AddSingleton<InferenceHardware>();
        services.AddSingleton<ModelCheckImages>();
        services.AddSingleton<FloatVariants>();
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<EmbeddingService>();
        services.AddSingleton<EmbedChunkWork>();
        services.AddSingleton<IChunkedWork>(sp => sp.GetRequiredService<EmbedChunkWork>());
        services.AddSingleton<EmbedRuns>();
        return services;
    }
}
