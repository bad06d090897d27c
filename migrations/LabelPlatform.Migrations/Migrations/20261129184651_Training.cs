using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LabelPlatform.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Training : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "TrainingJobRunId",
                table: "EmbeddingModels",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TrainingJson",
                table: "EmbeddingModels",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_EmbeddingModels_TrainingJobRunId",
                table: "EmbeddingModels",
                column: "TrainingJobRunId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_EmbeddingModels_TrainingJobRunId",
                table: "EmbeddingModels");

            migrationBuilder.DropColumn(
                name: "TrainingJobRunId",
                table: "EmbeddingModels");

            migrationBuilder.DropColumn(
                name: "TrainingJson",
                table: "EmbeddingModels");
        }
    }
}
