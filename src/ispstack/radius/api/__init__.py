"""REST API of the radius app: serializers, views and their routes."""
