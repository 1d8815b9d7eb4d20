"""REST API of the catalog app: serializers, views and their routes."""
